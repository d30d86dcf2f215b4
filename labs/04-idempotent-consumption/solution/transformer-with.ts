/**
 * L4.F, the reference's loop: consume-transform-produce as a Kafka client application writes it
 * with one transactional producer per instance (KIP-447). Read it top to bottom:
 *
 *   1. one producer session for the whole process: initProducerId fences every older incarnation
 *      of this transactional id and finishes (or aborts) the transaction it left open;
 *   2. join the group, and read the group's committed offsets of the partitions it gave us. While
 *      some transaction still holds uncommitted offsets for them the broker answers `unstable`
 *      (KIP-447's require_stable): we wait, because starting from the last *committed* offset
 *      while another member's transaction may yet commit would transform those records twice;
 *   3. loop: heartbeat when due; fetch each partition read_committed from our position; for each
 *      partition with records, ONE transaction: add the output partition, produce the outputs, add
 *      the group's offsets to the transaction, commit the offsets with our group metadata (member
 *      id AND generation), end the transaction with a commit;
 *   4. anything but a clean commit: abort what can be aborted and go back to 2 (our positions are
 *      worth nothing once a transaction failed: the committed offsets are the truth). A fenced
 *      producer, or an end whose outcome we never heard, starts again at 1.
 *
 * The two ways to get it wrong that the zoo shows are two of the `TransformerSteps` below: where
 * the offsets are committed (`commitOffsets`: inside the transaction, or after it), and what the
 * offsets carry (`metadata`: the generation, or nothing but the group id). A third is which
 * producer a partition's transaction runs on (`producerKey`).
 */
import {
  INPUT_TOPIC,
  type InputRecord,
  OUTPUT_TOPIC,
  type PartitionOffset,
  paymentFor,
  TIMING,
  type TransformerContext,
} from "#labs/04-idempotent-consumption/provided.ts";
import type { BrokerRequest, ReplyOf } from "#labs/shared/broker/protocol.ts";

/** How often one request is sent before we give up on it (each try times out after requestTimeoutMs). */
const TRIES = 4;
/** Between two tries, and between two polls of an idle or unstable partition. */
const BACKOFF_MS = 10;
/**
 * When a round of fetches found nothing: wait this long before the next (a Kafka fetch waits on
 * the broker for data instead, up to fetch.max.wait.ms; this broker answers at once).
 */
const IDLE_MS = 40;
/** Most entries one fetch asks for: one transaction per fetch. */
const FETCH_MAX = 8;

/** A producer session: the transactional id's producer id and the epoch of its current transaction. */
export interface Session {
  transactionalId: string;
  producerId: number;
  epoch: number;
}

/** Our place in the group: what the last joinGroup answered. */
export interface Member {
  memberId: string;
  generation: number;
  assignment: number[];
}

/** What a transaction needs to say about itself when it commits offsets. */
export interface TxnCommit {
  ctx: TransformerContext;
  session: Session;
  member: Member;
  offsets: PartitionOffset[];
}

/** The choices the zoo varies; `KIP_447_STEPS` in transformer.ts are the reference's. */
export interface TransformerSteps {
  /** The group metadata the offsets carry (KIP-447: the member id and the generation). */
  metadata(member: Member): { generation: number; memberId: string };
  /** Which producer session a partition's transactions run on (the reference: one per process). */
  producerKey(ctx: TransformerContext, partition: number): string;
  /**
   * Commits the offsets inside the open transaction (before its end), or returns "after" to have
   * them committed once the transaction has committed (`commitAfter`).
   */
  commitOffsets(txn: TxnCommit, steps: TransformerSteps): Promise<Step | "after">;
  /** Called after a committed transaction whose `commitOffsets` said "after". */
  commitAfter?(txn: TxnCommit, steps: TransformerSteps): Promise<Step>;
}

/** How a step of a transaction went: on, or what the loop must do about it. */
export type Step = "ok" | "abort" | "rejoin" | "fenced" | "doubt";

/** `request`, sent until answered (at most TRIES times); null if it never was. */
export async function ask<R extends BrokerRequest>(
  ctx: TransformerContext,
  request: R,
  again: (reply: ReplyOf[R["type"]]) => boolean = () => false,
): Promise<ReplyOf[R["type"]] | null> {
  for (let i = 0; i < TRIES; i++) {
    const outcome = await ctx.client.call(request);
    if (outcome.kind === "ok" && !again(outcome.reply)) return outcome.reply;
    await ctx.env.clock.sleep(BACKOFF_MS);
  }
  return null;
}

/** 1. initProducerId until answered: while an old transaction of ours is being ended, wait. */
export async function initSession(ctx: TransformerContext, transactionalId: string): Promise<Session> {
  for (;;) {
    const reply = await ask(
      ctx,
      { type: "initProducerId", transactionalId },
      (r) => r.kind === "concurrentTransactions",
    );
    if (reply?.kind === "ok") return { transactionalId, producerId: reply.producerId, epoch: reply.epoch };
    await ctx.env.clock.sleep(BACKOFF_MS);
  }
}

/** 2a. joinGroup until answered ("" asks for a new member id). */
export async function join(ctx: TransformerContext, memberId: string): Promise<Member> {
  for (;;) {
    const reply = await ask(ctx, { type: "joinGroup", group: ctx.group, topic: INPUT_TOPIC, memberId });
    if (reply?.kind === "ok")
      return { memberId: reply.memberId, generation: reply.generation, assignment: reply.assignment };
    await ctx.env.clock.sleep(BACKOFF_MS);
  }
}

/** 2b. The committed offsets of our partitions, once stable (none committed yet: from 0). */
export async function committedOffsets(ctx: TransformerContext, partitions: number[]): Promise<Map<number, number>> {
  for (;;) {
    const reply = await ask(ctx, { type: "offsetFetch", group: ctx.group, topic: INPUT_TOPIC, partitions });
    if (reply?.kind === "ok") return new Map(partitions.map((p, i) => [p, reply.offsets[i] ?? 0]));
    await ctx.env.clock.sleep(BACKOFF_MS);
  }
}

/** The reference's `commitOffsets`: addOffsetsToTxn, then txnOffsetCommit with the group metadata. */
export async function offsetsInTransaction(txn: TxnCommit, steps: TransformerSteps): Promise<Step> {
  const { ctx, session, member, offsets } = txn;
  const { transactionalId, producerId, epoch } = session;
  const added = await ask(
    ctx,
    { type: "addOffsetsToTxn", transactionalId, producerId, epoch, group: ctx.group },
    (r) => r.kind === "concurrentTransactions",
  );
  if (added?.kind === "fenced") return "fenced";
  if (added?.kind !== "ok") return "abort";
  const committed = await ask(ctx, {
    type: "txnOffsetCommit",
    group: ctx.group,
    ...steps.metadata(member),
    transactionalId,
    producerId,
    epoch,
    topic: INPUT_TOPIC,
    offsets,
  });
  if (committed?.kind === "ok") return "ok";
  // A newer generation: the partitions may be someone else's now. Our transaction must not commit.
  if (committed?.kind === "illegalGeneration") return "rejoin";
  return committed?.kind === "fenced" ? "fenced" : "abort";
}

/** Ends the open transaction; "ok" with the session's next epoch, or what went wrong. */
export async function endTxn(ctx: TransformerContext, session: Session, commit: boolean): Promise<Step> {
  const { transactionalId, producerId, epoch } = session;
  const reply = await ask(
    ctx,
    { type: "endTxn", transactionalId, producerId, epoch, commit },
    (r) => r.kind === "concurrentTransactions",
  );
  if (reply === null) return "doubt"; // It may have been decided: only a new session will tell.
  if (reply.kind === "ok") {
    session.epoch = reply.epoch; // Every transaction ends with a new epoch (lab 03).
    return "ok";
  }
  return reply.kind === "fenced" ? "fenced" : "doubt";
}

/** 3. One partition's records, transformed and committed with their offsets in one transaction. */
export async function transform(
  ctx: TransformerContext,
  steps: TransformerSteps,
  session: Session,
  member: Member,
  partition: number,
  records: InputRecord[],
  next: number,
): Promise<Step> {
  const { transactionalId, producerId, epoch } = session;
  const txn: TxnCommit = { ctx, session, member, offsets: [{ partition, offset: next }] };
  const inTxn = async (): Promise<Step | "after"> => {
    const added = await ask(
      ctx,
      { type: "addPartitionsToTxn", transactionalId, producerId, epoch, topic: OUTPUT_TOPIC, partitions: [partition] },
      (r) => r.kind === "concurrentTransactions",
    );
    if (added?.kind === "fenced") return "fenced";
    if (added?.kind !== "ok") return "abort";
    // One batch, sequence 0: every transaction runs under a fresh epoch, whose sequences start at 0.
    const produced = await ask(ctx, {
      type: "produceTxn",
      topic: OUTPUT_TOPIC,
      partition,
      producerId,
      epoch,
      sequence: 0,
      records: records.map(paymentFor),
    });
    if (produced?.kind === "fenced") return "fenced";
    if (produced?.kind !== "ok" && produced?.kind !== "duplicate") return "abort";
    return steps.commitOffsets(txn, steps);
  };
  const step = await inTxn();
  if (step === "ok" || step === "after") {
    const ended = await endTxn(ctx, session, true);
    if (ended !== "ok" || step === "ok") return ended;
    return steps.commitAfter === undefined ? "ok" : steps.commitAfter(txn, steps);
  }
  if (step === "fenced" || step === "doubt") return step;
  // Abort, so that nothing of it is ever read; then start again from the committed offsets.
  const aborted = await endTxn(ctx, session, false);
  return aborted === "ok" ? step : aborted;
}

/** Fetches one partition read_committed from `position`: its data records, and where to go on from. */
export async function fetchFrom(
  ctx: TransformerContext,
  partition: number,
  position: number,
): Promise<{ records: InputRecord[]; next: number } | null> {
  const reply = await ask(ctx, {
    type: "fetch",
    topic: INPUT_TOPIC,
    partition,
    offset: position,
    max: FETCH_MAX,
    isolation: "read_committed",
  });
  if (reply?.kind !== "ok") return null;
  const records: InputRecord[] = [];
  for (const entry of reply.records) {
    if (entry.kind !== "data") continue;
    for (const r of entry.records) records.push({ partition, offset: entry.offset, key: r.key, body: r.body });
  }
  // Past markers and aborted batches too: the next fetch starts after everything this one covered.
  return { records, next: Math.max(position, reply.nextOffset) };
}

/** The transformer, from its steps: runs until the process dies. */
export function transformerWith(steps: TransformerSteps): (ctx: TransformerContext) => Promise<void> {
  return async (ctx) => {
    const sessions = new Map<string, Session>();
    const sessionFor = async (partition: number): Promise<Session> => {
      const key = steps.producerKey(ctx, partition);
      let session = sessions.get(key);
      if (session === undefined) {
        session = await initSession(ctx, key);
        sessions.set(key, session);
      }
      return session;
    };
    await sessionFor(0);
    let memberId = "";
    for (;;) {
      const member = await join(ctx, memberId);
      memberId = member.memberId;
      const positions = await committedOffsets(ctx, member.assignment);
      let heartbeatAtMs = ctx.env.clock.now();
      let rejoin = false;
      while (!rejoin) {
        if (ctx.env.clock.now() - heartbeatAtMs >= TIMING.kafkaHeartbeatMs) {
          const beat = await ask(ctx, {
            type: "groupHeartbeat",
            group: ctx.group,
            generation: member.generation,
            memberId: member.memberId,
          });
          heartbeatAtMs = ctx.env.clock.now();
          if (beat?.kind === "unknownMember") memberId = "";
          if (beat?.kind !== "ok") break;
        }
        let idle = true;
        for (const partition of member.assignment) {
          const fetched = await fetchFrom(ctx, partition, positions.get(partition) ?? 0);
          if (fetched === null) continue;
          if (fetched.records.length === 0) {
            positions.set(partition, fetched.next);
            continue;
          }
          idle = false;
          const session = await sessionFor(partition);
          const step = await transform(ctx, steps, session, member, partition, fetched.records, fetched.next);
          if (step === "ok") {
            positions.set(partition, fetched.next);
            continue;
          }
          if (step === "fenced" || step === "doubt") {
            // A new session: it fences whatever of ours is still in flight, and ends our open transaction.
            sessions.set(session.transactionalId, await initSession(ctx, session.transactionalId));
          }
          rejoin = true;
          break;
        }
        if (idle && !rejoin) await ctx.env.clock.sleep(IDLE_MS);
      }
    }
  };
}

/** For zoo entries that commit offsets outside the transaction: a plain offsetCommit. */
export async function plainOffsetCommit(txn: TxnCommit, steps: TransformerSteps): Promise<Step> {
  const { ctx, member, offsets } = txn;
  const reply = await ask(ctx, {
    type: "offsetCommit",
    group: ctx.group,
    ...steps.metadata(member),
    topic: INPUT_TOPIC,
    offsets,
  });
  return reply?.kind === "ok" ? "ok" : "rejoin";
}
