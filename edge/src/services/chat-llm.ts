import type { Services } from "../hono-env.ts";
import type { KnowledgePassage, ReplyContext } from "./chat.ts";

export interface LlmStream {
  model: string;
  tokens: AsyncIterable<string>;
}

/**
 * Opens a token stream from a node that serves a language model, or answers null when none can (the
 * caller then replies without one). Wired to the nodes' chat route.
 */
export async function openLlmStream(
  _services: Services,
  _context: ReplyContext,
  _signal: AbortSignal,
  _requestId: string,
): Promise<LlmStream | null> {
  return null;
}

/** Knowledge passages relevant to a message, from the nodes' knowledge base; none when unreachable. */
export async function knowledgeSearch(
  _services: Services,
  _text: string,
  _limit: number,
): Promise<KnowledgePassage[]> {
  return [];
}
