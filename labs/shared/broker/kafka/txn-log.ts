/**
 * The coordinator's durable state: Kafka's internal topic `__transaction_state` (TransactionLog.scala),
 * here queue 0 of the store's topic of that name. Each save appends one message, key = the
 * transactional id, body = the record as JSON; loading reads the queue from the start and keeps the
 * latest record of each id, as Kafka's coordinator does when it loads a partition of the topic
 * (TransactionStateManager.loadTransactionMetadata; Kafka compacts the topic, this one keeps all).
 *
 * A save is one store append: durable once it resolves, and whole or absent after a crash or a
 * power loss (the log's CRC drops a torn record). Saves of one id run one at a time, in call
 * order, so that the latest in the log is the latest asked for.
 */
import type { Env } from "#lab";
import { KeyedMutex } from "../keyed-mutex.ts";
import { type MessageStore, serviceMessage } from "../store.ts";
import { type KafkaSide, TXN_STATES, type TxnRecord, type TxnState } from "./hooks.ts";

export const TXN_STATE_TOPIC = "__transaction_state";

/** The `txnLog` of a `KafkaSide`, on `store`. */
export function openTxnLog(env: Env, store: MessageStore, partitionCount: number): KafkaSide["txnLog"] {
  const saves = new KeyedMutex();
  return {
    async load() {
      const latest = new Map<string, TxnRecord>();
      const { maxOffset } = store.bounds(TXN_STATE_TOPIC, 0);
      const messages = await store.read(TXN_STATE_TOPIC, 0, 0, maxOffset);
      for (const m of messages) latest.set(m.key, parseRecord(m.key, m.body));
      return latest;
    },
    async save(transactionalId, record) {
      checkRecord(transactionalId, record, partitionCount);
      // A copy, taken now: the caller may change its object while the append waits.
      const body = JSON.stringify(copyOf(record));
      await saves.run(transactionalId, () =>
        store.append(
          serviceMessage({ topic: TXN_STATE_TOPIC, queueId: 0, key: transactionalId, body }, env.clock.now()),
        ),
      );
    },
  };
}

function copyOf(record: TxnRecord): TxnRecord {
  return {
    producerId: record.producerId,
    epoch: record.epoch,
    state: record.state,
    partitions: [...record.partitions],
    startedAtMs: record.startedAtMs,
  };
}

/** Throws RangeError on a record the coordinator could not mean. */
function checkRecord(transactionalId: string, record: TxnRecord, partitionCount: number): void {
  const fail = (why: string): never => {
    throw new RangeError(`txnLog.save('${transactionalId}'): ${why}`);
  };
  if (transactionalId === "") fail("the transactional id is empty");
  for (const [name, value] of [
    ["producerId", record.producerId],
    ["epoch", record.epoch],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) fail(`${name} must be a whole number >= 0, not ${value}`);
  }
  if (!Number.isFinite(record.startedAtMs)) fail(`startedAtMs must be a number, not ${record.startedAtMs}`);
  if (!TXN_STATES.includes(record.state)) fail(`no state '${String(record.state)}'`);
  for (const p of record.partitions) {
    if (!Number.isSafeInteger(p) || p < 0 || p >= partitionCount)
      fail(`partition ${p} is not one of 0..${partitionCount - 1}`);
  }
}

function parseRecord(transactionalId: string, body: string): TxnRecord {
  const value = JSON.parse(body) as Partial<Record<keyof TxnRecord, unknown>>;
  const { producerId, epoch, state, partitions, startedAtMs } = value;
  if (
    typeof producerId !== "number" ||
    typeof epoch !== "number" ||
    typeof startedAtMs !== "number" ||
    !TXN_STATES.includes(state as TxnState) ||
    !Array.isArray(partitions) ||
    !partitions.every((p) => typeof p === "number")
  ) {
    throw new Error(`${TXN_STATE_TOPIC}: unreadable record for '${transactionalId}'`);
  }
  return { producerId, epoch, state: state as TxnState, partitions: partitions as number[], startedAtMs };
}
