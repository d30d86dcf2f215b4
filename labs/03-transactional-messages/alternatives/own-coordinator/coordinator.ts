/**
 * Alternative L3.F coordinator, written from src/coordinator.ts's contract alone. It differs from
 * the reference in five ways, each allowed by the contract:
 *
 * - Order of an end: it replies as soon as the decision (PrepareCommit or PrepareAbort, with the
 *   bumped epoch) is saved, then writes the markers and saves the completion, the order the
 *   contract states (the reference completes before it replies). The id stays locked until the
 *   completion is saved, so the id's next request waits for the markers instead of hearing
 *   `concurrentTransactions`.
 * - Epochs: a producer's own end and an initProducerId move the epoch on by one; an abort the
 *   coordinator decides by itself (a timeout, or an init that finds a transaction Ongoing) moves
 *   it on by two. A retry of a decided end is then exactly "one below the record's epoch, and the
 *   record decided", and a zombie whose transaction was aborted for it can never pass for one: its
 *   end is fenced, as the contract says first (the reference answers it as a retry would be).
 * - The timeout is enforced where a request meets it too: an add or an end that finds its
 *   transaction Ongoing past the timeout aborts it first (and so is fenced), whatever the scan did.
 * - The scan is one timer, armed again when each scan ends (not setInterval), so scans never
 *   overlap.
 * - One small lock object per transactional id, with a queue of waiters, not a promise chain.
 */
import {
  type Coordinator,
  type CoordinatorReply,
  type KafkaSide,
  TIMING,
  type TxnRecord,
} from "#labs/03-transactional-messages/provided.ts";

/** Serialises the requests of one transactional id. */
class IdLock {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  async acquire(): Promise<() => void> {
    if (this.held) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held = true;
    return () => {
      const next = this.waiters.shift();
      if (next === undefined) this.held = false;
      else next();
    };
  }
}

/** How far each kind of decision moves the epoch (see the file's comment). */
const BY_PRODUCER = 1;
const BY_COORDINATOR = 2;

const decided = (record: TxnRecord): boolean =>
  record.state === "PrepareCommit" ||
  record.state === "PrepareAbort" ||
  record.state === "CompleteCommit" ||
  record.state === "CompleteAbort";
const committed = (record: TxnRecord): boolean => record.state === "PrepareCommit" || record.state === "CompleteCommit";

export async function openCoordinator(kafka: KafkaSide): Promise<Coordinator> {
  const records = await kafka.txnLog.load();
  const locks = new Map<string, IdLock>();
  const lockOf = (id: string): IdLock => {
    let lock = locks.get(id);
    if (lock === undefined) {
      lock = new IdLock();
      locks.set(id, lock);
    }
    return lock;
  };
  const owner = new Map<number, string>();
  let nextProducerId = 0;
  for (const [id, record] of records) {
    owner.set(record.producerId, id);
    nextProducerId = Math.max(nextProducerId, record.producerId + 1);
  }

  const put = async (id: string, record: TxnRecord): Promise<void> => {
    await kafka.txnLog.save(id, record);
    records.set(id, record);
  };

  /** Writes a saved decision's markers, then saves its completion. */
  const finish = async (id: string, record: TxnRecord): Promise<void> => {
    const commit = committed(record);
    for (const partition of record.partitions) {
      await kafka.append(partition, { kind: "marker", producerId: record.producerId, epoch: record.epoch, commit });
    }
    await put(id, { ...record, state: commit ? "CompleteCommit" : "CompleteAbort" });
  };

  /** Saves a decision on the id's Ongoing transaction, with the epoch moved on by `step`. */
  const decide = async (id: string, record: TxnRecord, commit: boolean, step: number): Promise<TxnRecord> => {
    const next: TxnRecord = { ...record, epoch: record.epoch + step, state: commit ? "PrepareCommit" : "PrepareAbort" };
    await put(id, next);
    return next;
  };

  const timedOut = (record: TxnRecord): boolean =>
    record.state === "Ongoing" && kafka.env.clock.now() - record.startedAtMs >= TIMING.kafkaTransactionTimeoutMs;

  /** Aborts the id's transaction if it is Ongoing past its timeout; the lock is held. */
  const enforceTimeout = async (id: string): Promise<void> => {
    const record = records.get(id);
    if (record === undefined || !timedOut(record)) return;
    await finish(id, await decide(id, record, false, BY_COORDINATOR));
  };

  // Decisions a crash interrupted are finished before anything is served.
  for (const [id, record] of records) {
    if (record.state === "PrepareCommit" || record.state === "PrepareAbort") await finish(id, record);
  }

  const scan = async (): Promise<void> => {
    for (const id of [...records.keys()]) {
      const release = await lockOf(id).acquire();
      try {
        await enforceTimeout(id);
      } finally {
        release();
      }
    }
  };
  const armScan = (): void => {
    kafka.env.clock.setTimer(TIMING.kafkaAbortScanMs, () => {
      scan()
        .catch((error: unknown) => kafka.env.log.warn(`timeout scan failed: ${String(error)}`))
        .finally(armScan);
    });
  };
  armScan();

  /** Runs `work` under the id's lock; `work` may hand back tasks to finish before the lock goes. */
  const locked = async <T>(
    id: string,
    work: () => Promise<{ reply: T; afterReply?: () => Promise<void> }>,
  ): Promise<T> => {
    const release = await lockOf(id).acquire();
    let result: { reply: T; afterReply?: () => Promise<void> };
    try {
      result = await work();
    } catch (error) {
      release();
      throw error;
    }
    const after = result.afterReply;
    if (after === undefined) release();
    else
      void after()
        .catch((error: unknown) => kafka.env.log.warn(`markers failed: ${String(error)}`))
        .finally(release);
    return result.reply;
  };

  /** The id's record, if `producerId` is the id's own. */
  const own = (id: string, producerId: number): TxnRecord | undefined => {
    const record = records.get(id);
    return record?.producerId === producerId ? record : undefined;
  };

  return {
    initProducerId: ({ transactionalId: id }) =>
      locked(id, async () => {
        const record = records.get(id);
        if (record === undefined) {
          const fresh: TxnRecord = {
            producerId: nextProducerId++,
            epoch: 0,
            state: "Empty",
            partitions: [],
            startedAtMs: 0,
          };
          owner.set(fresh.producerId, id);
          await put(id, fresh);
          return { reply: { kind: "ok" as const, producerId: fresh.producerId, epoch: 0 } };
        }
        let base = record;
        if (base.state === "Ongoing") {
          const aborted = await decide(id, base, false, BY_COORDINATOR);
          await finish(id, aborted);
          base = records.get(id) as TxnRecord;
        }
        const next: TxnRecord = { ...base, epoch: base.epoch + BY_PRODUCER, state: "Empty", partitions: [] };
        await put(id, next);
        return { reply: { kind: "ok" as const, producerId: next.producerId, epoch: next.epoch } };
      }),

    addPartitions: (request) =>
      locked(request.transactionalId, async (): Promise<{ reply: CoordinatorReply<"addPartitionsToTxn"> }> => {
        const id = request.transactionalId;
        await enforceTimeout(id);
        const record = own(id, request.producerId);
        if (record === undefined || record.epoch !== request.epoch) return { reply: { kind: "fenced" } };
        const partitions = [...record.partitions];
        for (const partition of request.partitions) if (!partitions.includes(partition)) partitions.push(partition);
        if (record.state === "Ongoing") {
          if (partitions.length > record.partitions.length) await put(id, { ...record, partitions });
        } else {
          const fresh = request.partitions.filter((p, i) => request.partitions.indexOf(p) === i);
          await put(id, { ...record, state: "Ongoing", partitions: fresh, startedAtMs: kafka.env.clock.now() });
        }
        return { reply: { kind: "ok" } };
      }),

    endTxn: (request) =>
      locked(
        request.transactionalId,
        async (): Promise<{ reply: CoordinatorReply<"endTxn">; afterReply?: () => Promise<void> }> => {
          const id = request.transactionalId;
          await enforceTimeout(id);
          const record = own(id, request.producerId);
          if (record === undefined) return { reply: { kind: "fenced" } };
          if (request.epoch === record.epoch) {
            if (record.state !== "Ongoing") return { reply: { kind: "invalidTxnState" } };
            const decision = await decide(id, record, request.commit, BY_PRODUCER);
            return { reply: { kind: "ok", epoch: decision.epoch }, afterReply: () => finish(id, decision) };
          }
          if (request.epoch + BY_PRODUCER === record.epoch && decided(record)) {
            // A retry of the end that decided (its reply was lost).
            if (committed(record) !== request.commit) return { reply: { kind: "invalidTxnState" } };
            return { reply: { kind: "ok", epoch: record.epoch } };
          }
          return { reply: { kind: "fenced" } };
        },
      ),

    async verify(producerId, epoch, partition) {
      const id = owner.get(producerId);
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
