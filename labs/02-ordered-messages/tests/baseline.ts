/**
 * The yardstick for L2.F: the plainest correct orderly worker, one message at a time, no retries
 * beyond what the handler needs. The key-parallel worker's throughput is measured against this one
 * (not against the learner's own L2.C worker, so that a slow L2.C cannot flatter L2.F).
 */
import { type QueueSession, TIMING, TOPIC, TransientFailure } from "#labs/02-ordered-messages/provided.ts";

export async function serialBaselineWorker(session: QueueSession): Promise<void> {
  const { client, queueId } = session;
  let offset = 0;
  while (session.isActive()) {
    const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset, max: TIMING.pullBatch });
    if (pulled.kind !== "ok" || pulled.reply.kind !== "ok") continue;
    if (pulled.reply.messages.length === 0) {
      await session.env.clock.sleep(TIMING.pullIdleMs);
      continue;
    }
    for (const message of pulled.reply.messages) {
      for (;;) {
        try {
          await session.handler(message, session.token);
          break;
        } catch (error) {
          if (!(error instanceof TransientFailure)) throw error;
        }
      }
      offset = message.queueOffset + 1;
    }
  }
}
