/**
 * The broker calls a queue worker makes, each with what its answers mean. Both workers (the
 * orderly one, queue-worker.ts, and the key-parallel one, key-parallel.ts) use them.
 *
 * None of them retries on its own beyond what is safe: `queryOffset` and `pull` change nothing, so
 * asking again after a timeout is harmless; a commit whose reply was lost is covered by the next one
 * (a commit says "everything below this offset is done", and a later one says more), and when no
 * next one comes, because the queue has gone quiet, the worker sends it again itself.
 */
import { type QueueSession, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";

/** Go on with the queue, or stop: the session ended, or another consumer owns the queue now. */
export type Step = "continue" | "stop";

/** Where the group left off on this queue; null if the session ended before the broker answered. */
export async function committedOffset(session: QueueSession): Promise<number | null> {
  while (session.isActive()) {
    const reply = await session.client.call({
      type: "queryOffset",
      group: session.group,
      topic: TOPIC,
      queueId: session.queueId,
    });
    if (reply.kind === "ok" && reply.reply.kind === "ok") return reply.reply.offset;
    if (reply.kind === "ok") return null; // no such topic: nothing to do
  }
  return null;
}

/** Commits `offset` under the session's token. `fenced` means a newer owner exists: stop. */
export async function commitOffset(session: QueueSession, offset: number): Promise<Step> {
  return (await tryCommit(session, offset)) === "fenced" ? "stop" : "continue";
}

/**
 * What became of a commit: the broker took it, refused it (a newer owner exists), or nobody knows
 * (the reply was lost; it may or may not have landed, so it must be sent again some time).
 */
export type CommitOutcome = "committed" | "fenced" | "unknown";

export async function tryCommit(session: QueueSession, offset: number): Promise<CommitOutcome> {
  const reply = await session.client.call({
    type: "commitOffset",
    group: session.group,
    topic: TOPIC,
    queueId: session.queueId,
    consumerId: session.consumerId,
    offset,
    token: session.token,
  });
  if (reply.kind !== "ok") return "unknown";
  if (reply.reply.kind === "fenced") return "fenced";
  return reply.reply.kind === "ok" ? "committed" : "unknown";
}

/** What one pull brought. */
export type Pulled =
  | { kind: "messages"; messages: StoredMessage[]; nextOffset: number }
  /** Nothing new yet; or the request timed out (nothing happened: pull again). */
  | { kind: "none"; timedOut: boolean }
  /** Retention removed what we had not read: go on from here. */
  | { kind: "resumeAt"; offset: number };

export async function pullFrom(session: QueueSession, offset: number): Promise<Pulled> {
  const { client, queueId } = session;
  const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset, max: TIMING.pullBatch });
  if (pulled.kind !== "ok") return { kind: "none", timedOut: true };
  const reply = pulled.reply;
  if (reply.kind === "offsetOutOfRange") return { kind: "resumeAt", offset: reply.minOffset };
  if (reply.kind !== "ok" || reply.messages.length === 0) return { kind: "none", timedOut: false };
  return { kind: "messages", messages: reply.messages, nextOffset: reply.nextOffset };
}
