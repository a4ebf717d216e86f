import { SESSION_TITLE_AFTER_USER_MESSAGES, uuidv7 } from "@inkwell/shared";
import { and, count, eq, isNull } from "drizzle-orm";
import { chatMessages, chatSessions, jobs } from "../db/schema/index.ts";
import { dispatchJob, type PipelineDeps, pipelineKeys } from "./job-dispatch.ts";
import { schedulableNodes } from "./nodes.ts";
import { keywordTitle, TITLE_SESSION_JOB } from "./session-title-job.ts";
import { lockWriter } from "./writer-locks.ts";

export type TitleRequest = "not-due" | "queued" | "titled-from-keywords";

/**
 * Once an untitled session has a few messages from the person, asks a node's language model to name it
 * (the `title-session` job), or, when no node serves one, names it from its keywords right away. Claimed
 * with one conditional update, so concurrent replies queue one job per session, ever.
 */
export async function requestSessionTitle(
  deps: PipelineDeps,
  userId: string,
  sessionId: string,
): Promise<TitleRequest> {
  const { db, config } = deps;
  const untitled = and(
    eq(chatSessions.id, sessionId),
    eq(chatSessions.userId, userId),
    eq(chatSessions.titleSetByUser, false),
    isNull(chatSessions.title),
    isNull(chatSessions.titleCt),
    isNull(chatSessions.titleJobId),
  );
  const [session] = await db.select({ id: chatSessions.id }).from(chatSessions).where(untitled).limit(1);
  if (!session) return "not-due";
  const [turns] = await db
    .select({ n: count() })
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, sessionId),
        eq(chatMessages.userId, userId),
        eq(chatMessages.role, "user"),
      ),
    );
  if ((turns?.n ?? 0) < SESSION_TITLE_AFTER_USER_MESSAGES) return "not-due";

  const llmNodes = await schedulableNodes(db, config.NODE_HEARTBEAT_TTL_SECONDS, ["llm"]);
  if (llmNodes.length === 0) {
    return (await keywordTitle(db, pipelineKeys(deps), userId, sessionId))
      ? "titled-from-keywords"
      : "not-due";
  }

  const jobId = uuidv7();
  const queued = await db.transaction(async (tx) => {
    if (!(await lockWriter(tx, userId))) return false;
    const claimed = await tx
      .update(chatSessions)
      .set({ titleJobId: jobId })
      .where(untitled)
      .returning({ id: chatSessions.id });
    if (claimed.length === 0) return false;
    await tx.insert(jobs).values({ id: jobId, userId, kind: TITLE_SESSION_JOB, payload: { sessionId } });
    return true;
  });
  if (!queued) return "not-due";
  await dispatchJob(deps, jobId);
  return "queued";
}
