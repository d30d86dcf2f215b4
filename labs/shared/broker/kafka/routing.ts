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
 *
 * Lab 04 adds topics (a request names one with `topic`, default `payments`; the plug-in sees one
 * global partition numbering, topics.ts) and, with `groups`, the group coordinator (groups.ts):
 *
 *   addOffsetsToTxn  -->  coordinator.addPartitions([the offsets partition])
 *   joinGroup, groupHeartbeat, offsetFetch, offsetCommit  -->  group coordinator
 *   txnOffsetCommit  -->  group coordinator (generation)  -->  [offsets partition lock: checkAppend
 *                         -> durable append -> onAppended]  -->  group coordinator (pending)
 */
import type { Env } from "#lab";
import { KeyedMutex } from "../keyed-mutex.ts";
import type { BrokerRequest, LogEntry, ReplyOf } from "../protocol.ts";
import type { MessageStore } from "../store.ts";
import { GroupCoordinator } from "./groups.ts";
import type { KafkaConfig, KafkaSide, KafkaTxnHooks, NewLogEntry } from "./hooks.ts";
import { encodeEntry, PAYMENTS_TOPIC, PartitionLogs } from "./log.ts";
import { CONSUMER_OFFSETS_TOPIC, layoutOf, type TopicLayout } from "./topics.ts";
import { openTxnLog, TXN_STATE_TOPIC } from "./txn-log.ts";

export const KAFKA_TOPICS: readonly string[] = [PAYMENTS_TOPIC, TXN_STATE_TOPIC, CONSUMER_OFFSETS_TOPIC];

/** The store topics a Kafka config uses: KAFKA_TOPICS and its extra topics. */
export function kafkaTopicsOf(config: KafkaConfig): string[] {
  return [...KAFKA_TOPICS, ...Object.keys(config.topics ?? {})];
}

export type KafkaRequestType =
  | "initProducerId"
  | "addPartitionsToTxn"
  | "produceTxn"
  | "endTxn"
  | "fetch"
  | "addOffsetsToTxn"
  | "joinGroup"
  | "groupHeartbeat"
  | "offsetFetch"
  | "txnOffsetCommit"
  | "offsetCommit";

export type KafkaHandlers = {
  [K in KafkaRequestType]: (request: Extract<BrokerRequest, { type: K }>, from: string) => Promise<ReplyOf[K]>;
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
  for (const topic of Object.keys(config.topics ?? {})) {
    if (KAFKA_TOPICS.includes(topic)) throw new RangeError(`kafka.topics: '${topic}' is the broker's own`);
  }
  const layout = layoutOf(config.partitions, config.topics ?? {}, config.groups !== undefined);
  const logs = new PartitionLogs(env, store, layout);
  const locks = new KeyedMutex();
  const lockOf = (partition: number) => `${PAYMENTS_TOPIC}\u0000${partition}`;
  /** Partitions whose state has been replayed: appends to them go to `onAppended` as they happen. */
  const live: boolean[] = new Array<boolean>(layout.count).fill(false);
  let hooks: KafkaTxnHooks | null = null;
  const offsetsPartition = config.groups === undefined ? null : layout.globalOf(CONSUMER_OFFSETS_TOPIC, 0);
  let groups: GroupCoordinator | null = null;

  const deliver = (partition: number, entry: LogEntry): void => {
    if (hooks !== null && live[partition] === true) {
      hooks.partitions[partition]?.onAppended(entry);
      if (partition === offsetsPartition) groups?.onEntry(entry);
    }
  };

  const side: KafkaSide = {
    env,
    partitionCount: layout.count,
    append: (partition, entry: NewLogEntry) =>
      locks.run(lockOf(partition), async () => {
        const stored = await logs.append(partition, entry);
        deliver(partition, stored);
        return stored.offset;
      }),
    read: (partition, offset, max) => logs.read(partition, offset, max),
    highWatermark: (partition) => logs.highWatermark(partition),
    txnLog: openTxnLog(env, store, layout.count),
  };

  const opened = await config.open(side);
  if (opened.partitions.length !== layout.count) {
    throw new RangeError(
      `the Kafka plug-in opened ${opened.partitions.length} partition states for ${layout.count} partitions`,
    );
  }
  hooks = opened;
  if (config.groups !== undefined && offsetsPartition !== null) {
    const state = opened.partitions[offsetsPartition];
    if (state === undefined) throw new RangeError("no state for the offsets partition");
    groups = await GroupCoordinator.open(
      {
        env,
        store,
        countOf: (topic) => (topic === CONSUMER_OFFSETS_TOPIC ? 0 : layout.countOf(topic)),
        underOffsetsLock: (task) =>
          locks.run(lockOf(offsetsPartition), () => task(logs.highWatermark(offsetsPartition))),
        appendOffsets: (entry, sequenceOf) =>
          locks.run(lockOf(offsetsPartition), async () => {
            const batch = { ...entry, sequence: sequenceOf() };
            const decision = await state.checkAppend(batch);
            if (decision.kind === "fenced" || decision.kind === "invalidTxnState") return decision;
            // A retry or a gap cannot happen: the broker numbers these entries itself.
            if (decision.kind !== "append") return { kind: "error", message: `offsets partition: ${decision.kind}` };
            let stored: LogEntry;
            try {
              stored = await logs.append(offsetsPartition, { kind: "data", ...batch });
            } catch (error) {
              return { kind: "error", message: error instanceof Error ? error.message : String(error) };
            }
            state.onAppended(stored);
            groups?.onEntry(stored);
            return { kind: "ok" };
          }),
      },
      config.groups,
    );
  }
  for (let partition = 0; partition < layout.count; partition++) {
    // Under the partition's lock: an append racing the replay is either read by it or delivered after it.
    await locks.run(lockOf(partition), async () => {
      for (let offset = 0; offset < logs.highWatermark(partition); ) {
        const entries = await logs.read(partition, offset, REPLAY_BATCH);
        if (entries.length === 0) throw new Error(`partition ${partition}: no entry at ${offset}, below its end`);
        for (const entry of entries) {
          opened.partitions[partition]?.onAppended(entry);
          if (partition === offsetsPartition) groups?.onEntry(entry);
        }
        offset += entries.length;
      }
      if (partition === offsetsPartition) groups?.replayDone();
      live[partition] = true;
    });
  }
  return handlersFor(opened, side, logs, locks, lockOf, fetchMax, layout, groups, offsetsPartition);
}

/** `topic`'s partition as a global number, or null if there is none (or it is the offsets partition). */
function globalOf(layout: TopicLayout, topic: string | undefined, partition: number): number | null {
  const name = topic ?? PAYMENTS_TOPIC;
  return name === CONSUMER_OFFSETS_TOPIC ? null : layout.globalOf(name, partition);
}

function handlersFor(
  hooks: KafkaTxnHooks,
  side: KafkaSide,
  logs: PartitionLogs,
  locks: KeyedMutex,
  lockOf: (partition: number) => string,
  fetchMax: number,
  layout: TopicLayout,
  groups: GroupCoordinator | null,
  offsetsPartition: number | null,
): KafkaHandlers {
  const stateOf = (partition: number) => {
    const state = hooks.partitions[partition];
    if (state === undefined) throw new RangeError(`no state for partition ${partition}`);
    return state;
  };
  return {
    initProducerId: (request) => hooks.coordinator.initProducerId(request),

    async addPartitionsToTxn(request) {
      if (!Array.isArray(request.partitions)) return { kind: "noSuchTopic" };
      const partitions = request.partitions.map((p) => globalOf(layout, request.topic, p));
      if (!partitions.every((p) => p !== null)) return { kind: "noSuchTopic" };
      const { topic: _topic, ...rest } = request;
      return hooks.coordinator.addPartitions({ ...rest, partitions: partitions as number[] });
    },

    endTxn: (request) => hooks.coordinator.endTxn(request),

    async produceTxn(request) {
      const { producerId, epoch, sequence, records } = request;
      const partition = globalOf(layout, request.topic, request.partition);
      if (partition === null) return { kind: "noSuchTopic" };
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
      const { offset } = request;
      const partition = globalOf(layout, request.topic, request.partition);
      if (partition === null) return { kind: "noSuchTopic" };
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

    async addOffsetsToTxn(request) {
      if (groups === null || offsetsPartition === null) return { kind: "noSuchTopic" };
      const { transactionalId, producerId, epoch } = request;
      return hooks.coordinator.addPartitions({
        type: "addPartitionsToTxn",
        transactionalId,
        producerId,
        epoch,
        partitions: [offsetsPartition],
      });
    },

    joinGroup: async (request, from) => (groups === null ? { kind: "noSuchTopic" } : groups.joinGroup(from, request)),
    groupHeartbeat: async (request) => (groups === null ? { kind: "noSuchTopic" } : groups.groupHeartbeat(request)),
    offsetFetch: async (request) => (groups === null ? { kind: "noSuchTopic" } : groups.offsetFetch(request)),
    txnOffsetCommit: async (request, from) =>
      groups === null ? { kind: "noSuchTopic" } : groups.txnOffsetCommit(from, request),
    offsetCommit: async (request, from) =>
      groups === null ? { kind: "noSuchTopic" } : groups.offsetCommit(from, request),
  };
}
