import { ChromaClient } from "chromadb";

/**
 * The header Chroma's token auth reads. The Chroma 1.x server does not check it itself: in the home
 * compose a proxy in front of Chroma does (deploy/home/), and Chroma Cloud does the same with API keys.
 */
export const CHROMA_TOKEN_HEADER = "x-chroma-token";

/**
 * The one way the node opens a Chroma client: CHROMA_URL parsed into the client's host/port/ssl form (its
 * `path` option is deprecated), plus CHROMA_TOKEN on every request when one is set.
 */
export function chromaClientFor(url: string, token?: string): ChromaClient {
  const parsed = new URL(url);
  const ssl = parsed.protocol === "https:";
  return new ChromaClient({
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : ssl ? 443 : 80,
    ssl,
    ...(token ? { headers: { [CHROMA_TOKEN_HEADER]: token } } : {}),
  });
}
