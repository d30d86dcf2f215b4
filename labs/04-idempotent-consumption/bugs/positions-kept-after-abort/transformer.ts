/**
 * Bug zoo, lab 04: READ POSITIONS KEPT AFTER AN ABORT.
 *
 * The transformer keeps a consumer's positions: a fetch moves a partition's position past what it
 * returned, as `KafkaConsumer.poll` does. After a commit that is right. After a transaction that
 * was given up and aborted for a plain reason (a request never answered, `invalidTxnState`), it
 * aborts and carries on from where it was, instead of going back to the group's committed offsets:
 * the aborted batch's outputs are gone, its offsets were never committed, and its records are
 * behind the position. The next commit on that partition moves the group's offset past them, and
 * they never get an output. Fencing and `illegalGeneration` still rejoin and re-read the offsets,
 * as the reference does, so only a plain abort shows it.
 */
import { TIMING, type TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";
import { KIP_447_STEPS } from "../../solution/transformer-steps.ts";
import {
  committedOffsets,
  fetchFrom,
  initSession,
  join,
  type Member,
  transform,
} from "../../solution/transformer-with.ts";

const IDLE_MS = 40;

export async function runTransformer(ctx: TransformerContext): Promise<void> {
  let session = await initSession(ctx, ctx.transactionalId);
  let memberId = "";
  let member: (Member & { stale: boolean }) | null = null;
  // Heartbeats on their own timer, as the Kafka consumer's background thread sends them: the
  // session outlives a slow transaction, and the loop reads the verdict between transactions.
  let beating = false;
  ctx.env.clock.setInterval(TIMING.kafkaHeartbeatMs, () => {
    const m = member;
    if (m === null || m.stale || beating) return;
    beating = true;
    const beat = { type: "groupHeartbeat", group: ctx.group, generation: m.generation, memberId: m.memberId } as const;
    void ctx.client.call(beat).then((out) => {
      beating = false;
      if (out.kind !== "ok" || out.reply.kind === "ok") return;
      m.stale = true;
      if (out.reply.kind === "unknownMember" && memberId === m.memberId) memberId = "";
    });
  });
  for (;;) {
    const joined = await join(ctx, memberId);
    memberId = joined.memberId;
    const current = { ...joined, stale: false };
    member = current;
    const positions = await committedOffsets(ctx, current.assignment);
    while (!current.stale) {
      let idle = true;
      for (const partition of current.assignment) {
        const fetched = await fetchFrom(ctx, partition, positions.get(partition) ?? 0);
        if (fetched === null) continue;
        // The bug: the position moves on at the fetch, and only a rejoin ever moves it back.
        positions.set(partition, fetched.next);
        if (fetched.records.length === 0) continue;
        idle = false;
        const step = await transform(ctx, KIP_447_STEPS, session, current, partition, fetched.records, fetched.next);
        if (step === "ok" || step === "abort") continue;
        if (step === "fenced" || step === "doubt") session = await initSession(ctx, ctx.transactionalId);
        current.stale = true;
        break;
      }
      if (idle && !current.stale) await ctx.env.clock.sleep(IDLE_MS);
    }
  }
}
