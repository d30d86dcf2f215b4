/**
 * The broker's Kafka side: builds the `KafkaSide`, opens the plug-in on it, replays every
 * partition's log into the plug-in's partition states, and answers the five Kafka requests.
 *
 *   initProducerId, addPartitionsToTxn, endTxn  -->  coordinator
 *   produceTxn  -->  [partition lock: checkAppend -> durable append -> onAppended]  -->  reply
 *   fetch read_uncommitted  -->  the raw log, markers included
 *   fetch read_committed    -->  the plug-in's readCommitted
 *
 * The broker checks what it can without the plug-in (the partition numbers) and answers
 * `noSuchTopic` itself; everything about producers, epochs and transactions is the plug-in's.
 */
import type { Env } from "#lab";
import { KeyedMutex } from "../keyed-mutex.ts";
import type { BrokerRequest, LogEntry, ReplyOf } from "../protocol.ts";
import type { MessageStore } from "../store.ts";
import type { KafkaConfig, KafkaSide, KafkaTxnHooks, NewLogEntry } from "./hooks.ts";
import { encodeEntry, PAYMENTS_TOPIC, PartitionLogs } from "./log.ts";
import { openTxnLog, TXN_STATE_TOPIC } from "./txn-log.ts";

export const KAFKA_TOPICS: readonly string[] = [PAYMENTS_TOPIC, TXN_STATE_TOPIC];

export type KafkaRequestType = "initProducerId" | "addPartitionsToTxn" | "produceTxn" | "endTxn" | "fetch";

export type KafkaHandlers = {
  [K in KafkaRequestType]: (request: Extract<BrokerRequest, { type: K }>) => Promise<ReplyOf[K]>;
};

/** How many entries the replay reads at a time. */
const REPLAY_BATCH = 64;

/** Opens the plug-in and replays the logs into it; resolves once the five requests can be served. */
export async function openKafka(
  env: Env,
  config: KafkaConfig,
  store: MessageStore,
  fetchMax: number,
): Promise<KafkaHandlers> {
  if (!Number.isSafeInteger(config.partitions) || config.partitions < 1) {
    throw new RangeError(`kafka.partitions must be a whole number >= 1, not ${config.partitions}`);
  }
  const logs = new PartitionLogs(env, store, config.partitions);
  const locks = new KeyedMutex();
  const lockOf = (partition: number) => `${PAYMENTS_TOPIC}\u0000${partition}`;
  /** Partitions whose state has been replayed: appends to them go to `onAppended` as they happen. */
  const live: boolean[] = new Array<boolean>(config.partitions).fill(false);
  let hooks: KafkaTxnHooks | null = null;

  const deliver = (partition: number, entry: LogEntry): void => {
    if (hooks !== null && live[partition] === true) hooks.partitions[partition]?.onAppended(entry);
  };

  const side: KafkaSide = {
    env,
    partitionCount: config.partitions,
    append: (partition, entry: NewLogEntry) =>
      locks.run(lockOf(partition), async () => {
        const stored = await logs.append(partition, entry);
        deliver(partition, stored);
        return stored.offset;
      }),
    read: (partition, offset, max) => logs.read(partition, offset, max),
    highWatermark: (partition) => logs.highWatermark(partition),
    txnLog: openTxnLog(env, store, config.partitions),
  };

  const opened = await config.open(side);
  if (opened.partitions.length !== config.partitions) {
    throw new RangeError(
      `the Kafka plug-in opened ${opened.partitions.length} partition states for ${config.partitions} partitions`,
    );
  }
  hooks = opened;
  for (let partition = 0; partition < config.partitions; partition++) {
    // Under the partition's lock: an append racing the replay is either read by it or delivered after it.
    await locks.run(lockOf(partition), async () => {
      for (let offset = 0; offset < logs.highWatermark(partition); ) {
        const entries = await logs.read(partition, offset, REPLAY_BATCH);
        if (entries.length === 0) throw new Error(`partition ${partition}: no entry at ${offset}, below its end`);
        for (const entry of entries) opened.partitions[partition]?.onAppended(entry);
        offset += entries.length;
      }
      live[partition] = true;
    });
  }
  return handlersFor(opened, side, logs, locks, lockOf, fetchMax);
}

function handlersFor(
  hooks: KafkaTxnHooks,
  side: KafkaSide,
  logs: PartitionLogs,
  locks: KeyedMutex,
  lockOf: (partition: number) => string,
  fetchMax: number,
): KafkaHandlers {
  const stateOf = (partition: number) => {
    const state = hooks.partitions[partition];
    if (state === undefined) throw new RangeError(`no state for partition ${partition}`);
    return state;
  };
  return {
    initProducerId: (request) => hooks.coordinator.initProducerId(request),

    async addPartitionsToTxn(request) {
      if (!Array.isArray(request.partitions) || !request.partitions.every((p) => logs.has(p))) {
        return { kind: "noSuchTopic" };
      }
      return hooks.coordinator.addPartitions(request);
    },

    endTxn: (request) => hooks.coordinator.endTxn(request),

    async produceTxn(request) {
      const { partition, producerId, epoch, sequence, records } = request;
      if (!logs.has(partition)) return { kind: "noSuchTopic" };
      const state = stateOf(partition);
      const batch = { producerId, epoch, sequence, records };
      // A malformed batch is the client's bug, not a fault: it throws here, before the plug-in sees it.
      encodeEntry(partition, { kind: "data", ...batch }, 0);
      return locks.run(lockOf(partition), async () => {
        const decision = await state.checkAppend(batch);
        if (decision.kind !== "append") return decision;
        let stored: LogEntry;
        try {
          stored = await logs.append(partition, { kind: "data", ...batch });
        } catch (error) {
          // As lab 02's send path: the store failed, and the reply says so.
          return { kind: "error", message: error instanceof Error ? error.message : String(error) };
        }
        state.onAppended(stored);
        return { kind: "ok", baseOffset: stored.offset };
      });
    },

    async fetch(request) {
      const { partition, offset } = request;
      if (!logs.has(partition)) return { kind: "noSuchTopic" };
      if (!Number.isSafeInteger(offset) || offset < 0) return { kind: "offsetOutOfRange", minOffset: 0 };
      const max = Math.max(0, Math.min(request.max, fetchMax));
      const state = stateOf(partition);
      if (request.isolation === "read_committed") return hooks.readCommitted(side, state, partition, offset, max);
      const records = await logs.read(partition, offset, max);
      const last = records.at(-1);
      return {
        kind: "ok",
        records,
        nextOffset: last === undefined ? offset : last.offset + 1,
        lastStableOffset: state.lastStableOffset(),
        highWatermark: logs.highWatermark(partition),
      };
    },
  };
}
