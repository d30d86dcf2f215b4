/**
 * L3.F, the transaction coordinator, assembled from its parts (fence.ts: the epochs; markers.ts:
 * the markers; timeout-scan.ts: when the timeout scan runs), so that a zoo entry can replace one
 * of them.
 *
 * One record per transactional id, in memory and in `txnLog`. Every request for one id runs alone
 * (a chain of promises per id), from reading the record to its last save: an end is decided, its
 * markers written and its completion saved before the id's next request looks at the record, so
 * that no request ever sees a transaction half ended (Kafka answers CONCURRENT_TRANSACTIONS in that
 * window; here the request simply waits its turn).
 *
 * The in-memory record is what `verify` reads, without waiting for any lock (it is called by a
 * partition that holds its own lock, while an end of the same id may be waiting for that lock to
 * write a marker). So the memory changes in the safe direction first:
 *   - a partition joins a transaction in memory only once the save that says so is durable: a
 *     batch verified against an unsaved record would open a transaction a restarted coordinator
 *     has never heard of (a hanging transaction);
 *   - a transaction stops being Ongoing in memory before its end is saved: from that moment, no
 *     new batch of it is verified.
 */
import type {
  AddPartitionsToTxnRequest,
  Coordinator,
  CoordinatorReply,
  EndTxnRequest,
  KafkaSide,
  TxnRecord,
  TxnState,
} from "#labs/03-transactional-messages/provided.ts";
import { TIMING } from "#labs/03-transactional-messages/provided.ts";

export interface CoordinatorParts {
  /** Whether a request at `epoch` may add to or end the id's transaction (a zombie's may not). */
  mayAct(record: TxnRecord, epoch: number): boolean;
  /** When a transaction that begins now starts, for its timeout. */
  startOf(record: TxnRecord, nowMs: number): number;
  epochAfterEnd(epoch: number): number;
  epochAfterTimeout(epoch: number): number;
  epochAfterInit(epoch: number): number;
  writeMarkers(kafka: KafkaSide, record: TxnRecord, commit: boolean): Promise<void>;
  /** Runs `scan` (abort what timed out) every TIMING.kafkaAbortScanMs while the coordinator lives. */
  scheduleTimeoutScan(kafka: KafkaSide, scan: () => Promise<void>): void;
}

const PREPARED: readonly TxnState[] = ["PrepareCommit", "PrepareAbort"];

export async function openCoordinatorWith(kafka: KafkaSide, parts: CoordinatorParts): Promise<Coordinator> {
  const records = await kafka.txnLog.load();
  /** Producer id -> transactional id, for `verify`. */
  const idOf = new Map<number, string>();
  let nextProducerId = 0;
  for (const [id, record] of records) {
    idOf.set(record.producerId, id);
    nextProducerId = Math.max(nextProducerId, record.producerId + 1);
  }

  const tails = new Map<string, Promise<unknown>>();
  /** Runs `work` after every earlier request of `id` has finished. */
  const serial = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const before = tails.get(id) ?? Promise.resolve();
    const result = before.then(work, work);
    const tail = result.catch(() => undefined);
    tails.set(id, tail);
    void tail.then(() => {
      if (tails.get(id) === tail) tails.delete(id);
    });
    return result;
  };

  const save = async (id: string, record: TxnRecord): Promise<void> => {
    await kafka.txnLog.save(id, record);
  };

  /**
   * Decides the transaction with `epoch` (already bumped), writes its markers, saves its completion.
   * Also finishes a decision a crash interrupted: markers written twice are harmless.
   */
  const complete = async (id: string, decided: TxnRecord): Promise<void> => {
    const commit = decided.state === "PrepareCommit";
    records.set(id, decided);
    await save(id, decided);
    await parts.writeMarkers(kafka, decided, commit);
    const done: TxnRecord = { ...decided, state: commit ? "CompleteCommit" : "CompleteAbort" };
    records.set(id, done);
    await save(id, done);
  };

  const decide = (record: TxnRecord, commit: boolean, epoch: number): TxnRecord => ({
    ...record,
    epoch,
    state: commit ? "PrepareCommit" : "PrepareAbort",
  });

  // A crash between a decision and its completion: finish it before serving anything.
  for (const [id, record] of records) {
    if (PREPARED.includes(record.state)) await complete(id, record);
  }

  const abortTimedOut = async (): Promise<void> => {
    const nowMs = kafka.env.clock.now();
    for (const [id, record] of records) {
      if (record.state !== "Ongoing" || nowMs - record.startedAtMs < TIMING.kafkaTransactionTimeoutMs) continue;
      await serial(id, async () => {
        const current = records.get(id);
        if (current === undefined || current.state !== "Ongoing" || current.startedAtMs !== record.startedAtMs) return;
        await complete(id, decide(current, false, parts.epochAfterTimeout(current.epoch)));
      });
    }
  };
  parts.scheduleTimeoutScan(kafka, abortTimedOut);

  /** The record of `id` if the request's producer id is its own. */
  const recordFor = (id: string, producerId: number): TxnRecord | undefined => {
    const record = records.get(id);
    return record !== undefined && record.producerId === producerId ? record : undefined;
  };

  return {
    initProducerId: ({ transactionalId: id }) =>
      serial(id, async (): Promise<CoordinatorReply<"initProducerId">> => {
        let record = records.get(id);
        if (record === undefined) {
          const fresh: TxnRecord = {
            producerId: nextProducerId++,
            epoch: 0,
            state: "Empty",
            partitions: [],
            startedAtMs: 0,
          };
          idOf.set(fresh.producerId, id);
          await save(id, fresh);
          records.set(id, fresh);
          return { kind: "ok", producerId: fresh.producerId, epoch: fresh.epoch };
        }
        if (record.state === "Ongoing") {
          // The old incarnation's transaction can never be finished by it: abort it, fencing it.
          await complete(id, decide(record, false, parts.epochAfterEnd(record.epoch)));
          record = records.get(id) as TxnRecord;
        }
        const next: TxnRecord = {
          ...record,
          epoch: parts.epochAfterInit(record.epoch),
          state: "Empty",
          partitions: [],
        };
        await save(id, next);
        records.set(id, next);
        return { kind: "ok", producerId: next.producerId, epoch: next.epoch };
      }),

    addPartitions: (request: AddPartitionsToTxnRequest) =>
      serial(request.transactionalId, async (): Promise<CoordinatorReply<"addPartitionsToTxn">> => {
        const id = request.transactionalId;
        const record = recordFor(id, request.producerId);
        if (record === undefined || !parts.mayAct(record, request.epoch)) return { kind: "fenced" };
        const wanted = [...new Set(request.partitions)].sort((a, b) => a - b);
        let next: TxnRecord;
        if (record.state === "Ongoing") {
          const missing = wanted.filter((p) => !record.partitions.includes(p));
          if (missing.length === 0) return { kind: "ok" };
          next = { ...record, partitions: [...record.partitions, ...missing] };
        } else {
          // A new transaction begins with its first partition; its timeout counts from now.
          next = {
            ...record,
            state: "Ongoing",
            partitions: wanted,
            startedAtMs: parts.startOf(record, kafka.env.clock.now()),
          };
        }
        await save(id, next);
        records.set(id, next);
        return { kind: "ok" };
      }),

    endTxn: (request: EndTxnRequest) =>
      serial(request.transactionalId, async (): Promise<CoordinatorReply<"endTxn">> => {
        const id = request.transactionalId;
        const record = recordFor(id, request.producerId);
        if (record === undefined) return { kind: "fenced" };
        if (parts.mayAct(record, request.epoch) && record.state === "Ongoing") {
          const epoch = parts.epochAfterEnd(record.epoch);
          await complete(id, decide(record, request.commit, epoch));
          return { kind: "ok", epoch };
        }
        // A retry of an end already decided (its reply was lost): the same answer again.
        const ended = record.state !== "Ongoing" && record.state !== "Empty";
        if (ended && parts.epochAfterEnd(request.epoch) === record.epoch) {
          const committed = record.state === "PrepareCommit" || record.state === "CompleteCommit";
          if (committed !== request.commit) return { kind: "invalidTxnState" };
          if (PREPARED.includes(record.state)) await complete(id, record);
          return { kind: "ok", epoch: record.epoch };
        }
        // The current epoch with nothing open to end, or an older epoch: a zombie's.
        return { kind: request.epoch === record.epoch ? "invalidTxnState" : "fenced" };
      }),

    async verify(producerId, epoch, partition) {
      const id = idOf.get(producerId);
      const record = id === undefined ? undefined : records.get(id);
      return (
        record !== undefined &&
        record.producerId === producerId &&
        record.state === "Ongoing" &&
        record.epoch === epoch &&
        record.partitions.includes(partition)
      );
    },
  };
}
