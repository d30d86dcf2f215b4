/**
 * The broker's Kafka side (kafka/), with a small in-test coordinator and partition state: maps and
 * a few rules, not lab 03's solution (no timeouts, no fencing on initProducerId, no retried ends),
 * so that these tests depend on the broker alone. What they hold the broker to is the calling
 * contract in kafka/hooks.ts: routing, `checkAppend` before and `onAppended` after each append,
 * one append per partition at a time, the replay at start, the coordinator's records, and fetch.
 */
import { describe, expect, it } from "vitest";
import { inBootedNode, simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import type { Env, RequestOutcome } from "#lab";
import { type BrokerConfig, defaultBrokerConfig, openBroker } from "./broker.ts";
import type {
  AbortedTxn,
  Coordinator,
  KafkaConfig,
  KafkaSide,
  PartitionState,
  ReadCommitted,
  TxnRecord,
} from "./kafka/hooks.ts";
import { openTxnLog } from "./kafka/txn-log.ts";
import { lab02Replies, lab02Script } from "./lab02-golden.ts";
import { openLogStore } from "./log-store.ts";
import type { BrokerRequest, KafkaRecord, LogEntry, ReplyOf } from "./protocol.ts";
import { MemoryStore, type MessageStore } from "./store.ts";
import { brokerWithClient, openedSide } from "./test-broker.ts";

const PARTITIONS = 2;

/** What the broker did to the test plug-in, in order, with the broker's clock. */
interface Seen {
  side: KafkaSide | null;
  calls: string[];
}

interface TestOptions {
  /** How long each checkAppend waits (as a KIP-890 verification round trip would). */
  checkDelayMs?: number;
  /** How long the coordinator waits between deciding a transaction and writing its markers. */
  markerDelayMs?: number;
  /** How long the plug-in's open takes after its recovery. */
  openDelayMs?: number;
  /** The coordinator's open finishes prepared transactions without waiting for their markers. */
  recoverInBackground?: boolean;
}

/** The test plug-in: the coordinator first (it finishes prepared transactions), then the states. */
function testKafka(seen: Seen, options: TestOptions = {}): KafkaConfig {
  return {
    partitions: PARTITIONS,
    async open(side) {
      seen.side = side;
      seen.calls.push("open");
      const note = (call: string) => seen.calls.push(call);
      const coordinator = await openTestCoordinator(side, options, note);
      const partitions: PartitionState[] = [];
      for (let p = 0; p < side.partitionCount; p++) {
        partitions.push(testPartition(side, p, coordinator, seen, options.checkDelayMs ?? 0));
      }
      if (options.openDelayMs !== undefined) await side.env.clock.sleep(options.openDelayMs);
      seen.calls.push("opened");
      return { coordinator, partitions, readCommitted: testReadCommitted };
    },
  };
}

/** Epochs, states and markers in a map; the coordinator's whole memory is its txnLog. */
async function openTestCoordinator(
  side: KafkaSide,
  options: TestOptions,
  note: (call: string) => void,
): Promise<Coordinator> {
  const { markerDelayMs = 0, recoverInBackground = false } = options;
  const records = await side.txnLog.load();
  let nextProducerId = 1 + Math.max(0, ...[...records.values()].map((r) => r.producerId));
  const save = async (id: string, record: TxnRecord) => {
    records.set(id, record);
    await side.txnLog.save(id, record);
  };
  const finish = async (id: string, record: TxnRecord) => {
    const commit = record.state === "PrepareCommit";
    if (markerDelayMs > 0) await side.env.clock.sleep(markerDelayMs);
    for (const p of record.partitions) {
      note(`marker for p${p}`);
      await side.append(p, { kind: "marker", producerId: record.producerId, epoch: record.epoch, commit });
    }
    await save(id, { ...record, state: commit ? "CompleteCommit" : "CompleteAbort" });
  };
  const finishLater = (id: string, record: TxnRecord) =>
    finish(id, record).catch((error: unknown) => side.env.log.error({ error }, "markers failed"));
  for (const [id, record] of records) {
    if (record.state !== "PrepareCommit" && record.state !== "PrepareAbort") continue;
    if (recoverInBackground) void finishLater(id, record);
    else await finish(id, record);
  }
  const busy = (r: TxnRecord | undefined) => r !== undefined && r.state !== "Empty" && !r.state.startsWith("Complete");
  const current = (id: string, producerId: number, epoch: number) => {
    const r = records.get(id);
    return r?.producerId === producerId && r.epoch === epoch ? r : undefined;
  };
  return {
    async initProducerId({ transactionalId }) {
      const r = records.get(transactionalId);
      if (busy(r)) return { kind: "concurrentTransactions" };
      const producerId = r?.producerId ?? nextProducerId++;
      const epoch = r === undefined ? 0 : r.epoch + 1;
      await save(transactionalId, { producerId, epoch, state: "Empty", partitions: [], startedAtMs: 0 });
      return { kind: "ok", producerId, epoch };
    },
    async addPartitions({ transactionalId, producerId, epoch, partitions }) {
      const r = current(transactionalId, producerId, epoch);
      if (r === undefined) return { kind: "fenced" };
      if (r.state.startsWith("Prepare")) return { kind: "concurrentTransactions" };
      const ongoing = r.state === "Ongoing";
      const all = [...new Set([...(ongoing ? r.partitions : []), ...partitions])].sort();
      const startedAtMs = ongoing ? r.startedAtMs : side.env.clock.now();
      await save(transactionalId, { ...r, state: "Ongoing", partitions: all, startedAtMs });
      return { kind: "ok" };
    },
    async endTxn({ transactionalId, producerId, epoch, commit }) {
      const r = current(transactionalId, producerId, epoch);
      if (r === undefined) return { kind: "fenced" };
      if (r.state !== "Ongoing") return { kind: "invalidTxnState" };
      const prepared: TxnRecord = { ...r, epoch: epoch + 1, state: commit ? "PrepareCommit" : "PrepareAbort" };
      await save(transactionalId, prepared);
      void finishLater(transactionalId, prepared);
      return { kind: "ok", epoch: prepared.epoch };
    },
    async verify(producerId, epoch, partition) {
      return [...records.values()].some(
        (r) =>
          r.producerId === producerId && r.epoch === epoch && r.state === "Ongoing" && r.partitions.includes(partition),
      );
    },
  };
}

/** Highest epochs, sequences per (producer, epoch), open transactions and aborted ones, from onAppended. */
function testPartition(
  side: KafkaSide,
  partition: number,
  coordinator: Pick<Coordinator, "verify">,
  seen: Seen,
  checkDelayMs: number,
): PartitionState {
  const epochs = new Map<number, number>();
  const batches = new Map<string, number[]>();
  const open = new Map<number, number>();
  const aborted: AbortedTxn[] = [];
  let end = 0;
  return {
    async checkAppend(batch) {
      seen.calls.push(`check p${partition} ${batch.producerId}/${batch.epoch}#${batch.sequence}`);
      if (checkDelayMs > 0) await side.env.clock.sleep(checkDelayMs);
      if (batch.epoch < (epochs.get(batch.producerId) ?? 0)) return { kind: "fenced" };
      const offsets = batches.get(`${batch.producerId}/${batch.epoch}`) ?? [];
      const earlier = offsets[batch.sequence];
      if (earlier !== undefined) return { kind: "duplicate", baseOffset: earlier };
      if (batch.sequence !== offsets.length) return { kind: "outOfOrder", expected: offsets.length };
      const verified =
        open.has(batch.producerId) || (await coordinator.verify(batch.producerId, batch.epoch, partition));
      return verified ? { kind: "append" } : { kind: "invalidTxnState" };
    },
    onAppended(entry) {
      seen.calls.push(`appended p${partition} @${entry.offset} ${entry.kind}`);
      // The broker's promise: every entry once, in offset order.
      if (entry.offset !== end) throw new Error(`partition ${partition}: entry ${entry.offset} after ${end - 1}`);
      end = entry.offset + 1;
      epochs.set(entry.producerId, Math.max(entry.epoch, epochs.get(entry.producerId) ?? 0));
      if (entry.kind === "data") {
        const key = `${entry.producerId}/${entry.epoch}`;
        batches.set(key, [...(batches.get(key) ?? []), entry.offset]);
        if (!open.has(entry.producerId)) open.set(entry.producerId, entry.offset);
        return;
      }
      const first = open.get(entry.producerId);
      if (first === undefined) return;
      open.delete(entry.producerId);
      if (!entry.commit) aborted.push({ producerId: entry.producerId, firstOffset: first, lastOffset: entry.offset });
    },
    lastStableOffset: () => Math.min(end, ...open.values()),
    abortedIn: (from, to) => aborted.filter((a) => a.firstOffset < to && a.lastOffset >= from),
  };
}

/** Data below the last stable offset, less the aborted transactions' batches. */
const testReadCommitted: ReadCommitted = async (side, state, partition, offset, max) => {
  const lso = state.lastStableOffset();
  const entries = await side.read(partition, offset, Math.min(max, Math.max(0, lso - offset)));
  const aborted = state.abortedIn(offset, lso);
  const isAborted = (e: LogEntry) =>
    aborted.some((a) => a.producerId === e.producerId && a.firstOffset <= e.offset && e.offset < a.lastOffset);
  const last = entries.at(-1);
  return {
    kind: "ok",
    records: entries.filter((e) => e.kind === "data" && !isAborted(e)),
    nextOffset: last === undefined ? offset : last.offset + 1,
    lastStableOffset: lso,
    highWatermark: side.highWatermark(partition),
  };
};

const base: BrokerConfig = { ...defaultBrokerConfig, topics: { orders: 2 } };

/** A broker on lab 01's log (with or without the test plug-in), a client node k1, and what the plug-in saw. */
function setup(options: TestOptions & { kafka?: boolean; seed?: number; readDelayMs?: number } = {}) {
  const world = new World({ seed: options.seed ?? 1 });
  const seen: Seen = { side: null, calls: [] };
  const config: BrokerConfig = options.kafka === false ? base : { ...base, kafka: testKafka(seen, options) };
  // With a read delay: a memory store kept across incarnations, whose reads take time (a long replay).
  const memory = new MemoryStore();
  const storeFor = async (env: Env): Promise<MessageStore> =>
    options.readDelayMs === undefined ? openLogStore(env) : slowReads(memory, env, options.readDelayMs);
  const { broker, connect, boot } = brokerWithClient(world, config, storeFor, "k1");
  const side = (): KafkaSide => openedSide(seen, "the Kafka plug-in");
  /** A request handled by the broker directly, as from k1: no network, so no timeout. */
  const handle = async <R extends BrokerRequest>(request: R): Promise<ReplyOf[R["type"]]> => {
    const outcome = await broker.invoke((b) => b.handle("k1", request));
    if (outcome.kind !== "ok") throw new Error(`the broker is ${outcome.kind}`);
    return outcome.value as ReplyOf[R["type"]];
  };
  return { world, broker, connect, boot, seen, side, handle };
}

/**
 * `store`, each of whose reads first waits `readDelayMs` of the node's clock. An append waits 1 ms
 * before it writes (so that, as on a simulated disk, nothing a crashed incarnation still had in
 * hand lands) and 1 ms after (readable before it is acknowledged, as from a page cache).
 */
function slowReads(store: MessageStore, env: Env, readDelayMs: number): MessageStore {
  return {
    append: async (message) => {
      await env.clock.sleep(1);
      const offset = await store.append(message);
      await env.clock.sleep(1);
      return offset;
    },
    read: async (topic, queueId, offset, max) => {
      await env.clock.sleep(readDelayMs);
      return store.read(topic, queueId, offset, max);
    },
    bounds: (topic, queueId) => store.bounds(topic, queueId),
    scan: (visit) => store.scan(visit),
  };
}

function ok<T>(outcome: RequestOutcome<T>): T {
  if (outcome.kind !== "ok") throw new Error("request timed out");
  return outcome.reply;
}

const records = (...keys: string[]): KafkaRecord[] => keys.map((key) => ({ key, body: `body of ${key}` }));

/** `transactionalId`'s producer, initialised, with `partitions` added to its first transaction. */
async function producerIn(
  handle: ReturnType<typeof setup>["handle"],
  transactionalId: string,
  ...partitions: number[]
) {
  const tx = producer(handle, transactionalId);
  await tx.init();
  await tx.add(...partitions);
  return tx;
}

/** A transactional producer's calls, as a Kafka client makes them (tests give the steps). */
function producer(handle: ReturnType<typeof setup>["handle"], transactionalId: string) {
  let producerId = -1;
  let epoch = -1;
  const sequences = new Map<number, number>();
  return {
    get epoch() {
      return epoch;
    },
    async init() {
      const reply = await handle({ type: "initProducerId", transactionalId });
      if (reply.kind !== "ok") throw new Error(`initProducerId: ${reply.kind}`);
      ({ producerId, epoch } = reply);
      sequences.clear();
    },
    add: (...partitions: number[]) =>
      handle({ type: "addPartitionsToTxn", transactionalId, producerId, epoch, partitions }),
    /** Sends the partition's next batch; `sequence` overrides the number (a retry, a gap). */
    produce(partition: number, batch: KafkaRecord[], sequence?: number) {
      const next = sequences.get(partition) ?? 0;
      if (sequence === undefined) sequences.set(partition, next + 1);
      return handle({ type: "produceTxn", partition, producerId, epoch, sequence: sequence ?? next, records: batch });
    },
    /** Ends the transaction; on ok, the next one runs under the new epoch with fresh sequences. */
    async end(commit: boolean) {
      const reply = await handle({ type: "endTxn", transactionalId, producerId, epoch, commit });
      if (reply.kind === "ok") {
        epoch = reply.epoch;
        sequences.clear();
      }
      return reply;
    },
    /** The producer as it was: a zombie keeps its old epoch. */
    stale: (partition: number, batch: KafkaRecord[], oldEpoch: number) =>
      handle({ type: "produceTxn", partition, producerId, epoch: oldEpoch, sequence: 0, records: batch }),
  };
}

const fetch = (partition: number, offset: number, isolation: "read_committed" | "read_uncommitted", max = 32) =>
  ({ type: "fetch", partition, offset, max, isolation }) as const;

/** The keys of a fetch's data records, and a marker as "commit"/"abort". */
function shape(reply: ReplyOf["fetch"]): unknown {
  if (reply.kind !== "ok") return reply;
  return {
    entries: reply.records.map((e) =>
      e.kind === "data" ? e.records.map((r) => r.key).join("+") : e.commit ? "commit" : "abort",
    ),
    nextOffset: reply.nextOffset,
    lastStableOffset: reply.lastStableOffset,
    highWatermark: reply.highWatermark,
  };
}

describe("broker kafka: routing", () => {
  it("answers lab 02's requests as before with a Kafka side, and never `send`s, `pull`s or routes its topics", async () => {
    const { world, boot } = setup();
    const replies = await simulate(world, async () => {
      const c = await boot();
      const golden = await lab02Script(c);
      const { producerId } = ok(await c.call({ type: "initProducer" }));
      const kafkaTopics = [];
      for (const topic of ["payments", "__transaction_state"]) {
        kafkaTopics.push(
          ok(await c.call({ type: "route", topic })),
          ok(await c.call({ type: "send", topic, queueId: 0, key: "k", body: "b", producerId, sequence: -1 })),
          ok(await c.call({ type: "pull", topic, queueId: 0, offset: 0, max: 1 })),
        );
      }
      return { golden, kafkaTopics };
    });
    expect(replies.golden).toEqual(lab02Replies);
    expect(replies.kafkaTopics).toEqual(new Array(6).fill({ kind: "noSuchTopic" }));
  });

  it("answers the five Kafka requests with noSuchTopic when no Kafka side is configured", async () => {
    const { world, boot } = setup({ kafka: false });
    const replies = await simulate(world, async () => {
      const c = await boot();
      const requests: BrokerRequest[] = [
        { type: "initProducerId", transactionalId: "tx-a" },
        { type: "addPartitionsToTxn", transactionalId: "tx-a", producerId: 1, epoch: 0, partitions: [0] },
        { type: "produceTxn", partition: 0, producerId: 1, epoch: 0, sequence: 0, records: records("a") },
        { type: "endTxn", transactionalId: "tx-a", producerId: 1, epoch: 0, commit: true },
        fetch(0, 0, "read_uncommitted"),
      ];
      const out = [];
      for (const request of requests) out.push(ok(await c.call(request)));
      return out;
    });
    expect(replies).toEqual(new Array(5).fill({ kind: "noSuchTopic" }));
  });

  it("refuses a partition `payments` lacks before the plug-in sees it, and a negative fetch offset", async () => {
    const { world, boot, handle, seen } = setup();
    const replies = await simulate(world, async () => {
      await boot();
      const tx = producer(handle, "tx-a");
      await tx.init();
      return [
        await tx.add(0, PARTITIONS),
        await tx.add(-1),
        await tx.produce(PARTITIONS, records("a")),
        await tx.produce(0.5, records("a")),
        await handle(fetch(PARTITIONS, 0, "read_committed")),
        await handle(fetch(0, -1, "read_uncommitted")),
        await tx.add(1),
      ];
    });
    expect(replies).toEqual([
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "noSuchTopic" },
      { kind: "offsetOutOfRange", minOffset: 0 },
      { kind: "ok" },
    ]);
    expect(seen.calls.filter((c) => c.startsWith("check"))).toEqual([]);
  });

  it("refuses a config that lists a Kafka topic among lab 02's topics", async () => {
    for (const topic of ["payments", "__transaction_state"]) {
      const seen: Seen = { side: null, calls: [] };
      const config = { ...base, topics: { [topic]: 1 }, kafka: testKafka(seen) };
      const error = await inBootedNode({}, async ({ env }) =>
        openBroker(env, config, new MemoryStore()).then(
          () => null,
          (e: unknown) => e,
        ),
      );
      expect(error, topic).toBeInstanceOf(RangeError);
      expect(seen.calls, topic).toEqual([]);
    }
  });
});

describe("broker kafka: appends and the partition state", () => {
  it("calls checkAppend before and onAppended after every append, one append per partition at a time", async () => {
    const { world, boot, handle, seen } = setup({ checkDelayMs: 5 });
    const replies = await simulate(world, async () => {
      await boot();
      const tx = await producerIn(handle, "tx-a", 0, 1);
      seen.calls.length = 0;
      // Three batches to partition 0 and one to partition 1, all at once.
      const sent = await Promise.all([
        tx.produce(0, records("a")),
        tx.produce(0, records("b", "c")),
        tx.produce(1, records("d")),
        tx.produce(0, records("e")),
      ]);
      const end = await tx.end(true);
      await world.sleep(20);
      return { sent, end };
    });
    expect(replies).toEqual({
      sent: [
        { kind: "ok", baseOffset: 0 },
        { kind: "ok", baseOffset: 1 },
        { kind: "ok", baseOffset: 0 },
        { kind: "ok", baseOffset: 2 },
      ],
      end: { kind: "ok", epoch: 1 },
    });
    const on = (p: number) => seen.calls.filter((c) => c.includes(` p${p} `));
    // Partition 0: never a second check before the first batch's append was shown to the state.
    expect(on(0)).toEqual([
      "check p0 1/0#0",
      "appended p0 @0 data",
      "check p0 1/0#1",
      "appended p0 @1 data",
      "check p0 1/0#2",
      "appended p0 @2 data",
      "appended p0 @3 marker",
    ]);
    expect(on(1)).toEqual(["check p1 1/0#0", "appended p1 @0 data", "appended p1 @1 marker"]);
    // Partitions do not wait for each other: partition 1's check ran while partition 0 was busy.
    expect(seen.calls.indexOf("check p1 1/0#0")).toBeLessThan(seen.calls.indexOf("appended p0 @0 data"));
  });

  it("appends nothing when checkAppend refuses, and passes its answer on", async () => {
    const { world, boot, handle, seen } = setup();
    const replies = await simulate(world, async () => {
      await boot();
      const tx = producer(handle, "tx-a");
      await tx.init();
      const unverified = await tx.produce(0, records("never added"), 0);
      await tx.add(0);
      const first = await tx.produce(0, records("a"));
      const retry = await tx.produce(0, records("a"), 0);
      const gap = await tx.produce(0, records("z"), 5);
      const oldEpoch = tx.epoch;
      await tx.end(false);
      await world.sleep(5);
      const zombie = await tx.stale(0, records("zombie"), oldEpoch);
      const raw = await handle(fetch(0, 0, "read_uncommitted"));
      return { unverified, first, retry, gap, zombie, raw: shape(raw) };
    });
    expect(replies).toEqual({
      unverified: { kind: "invalidTxnState" },
      first: { kind: "ok", baseOffset: 0 },
      retry: { kind: "duplicate", baseOffset: 0 },
      gap: { kind: "outOfOrder", expected: 1 },
      zombie: { kind: "fenced" },
      raw: { entries: ["a", "abort"], nextOffset: 2, lastStableOffset: 2, highWatermark: 2 },
    });
    expect(seen.calls.filter((c) => c.startsWith("appended"))).toEqual([
      "appended p0 @0 data",
      "appended p0 @1 marker",
    ]);
  });

  it("replays every partition's whole log through onAppended at start, before serving, and what the plug-in's open appends once", async () => {
    const { world, broker, boot, handle, seen } = setup({ markerDelayMs: 30 });
    const calls = await simulate(world, async () => {
      await boot();
      const a = producer(handle, "tx-a");
      const b = producer(handle, "tx-b");
      await a.init();
      await b.init();
      await a.add(0, 1);
      await b.add(0);
      await a.produce(0, records("a1"));
      await b.produce(0, records("b1"));
      await a.produce(1, records("a2"));
      await a.end(true);
      // The broker crashes after tx-a's PrepareCommit was saved and before its markers.
      await world.sleep(10);
      broker.crash();
      seen.calls.length = 0;
      await broker.start();
      const afterCrash = [...seen.calls];
      await world.sleep(40);
      broker.powerLoss();
      seen.calls.length = 0;
      await broker.start();
      return { afterCrash, afterPowerLoss: [...seen.calls] };
    });
    // The reopened coordinator writes the two markers in its open; the replay shows each once.
    const replay = [
      "appended p0 @0 data",
      "appended p0 @1 data",
      "appended p0 @2 marker",
      "appended p1 @0 data",
      "appended p1 @1 marker",
    ];
    expect(calls.afterCrash).toEqual(["open", "marker for p0", "marker for p1", "opened", ...replay]);
    expect(calls.afterPowerLoss).toEqual(["open", "opened", ...replay]);
  });

  it("shows onAppended what the plug-in appends while the logs are being replayed, once, in order", async () => {
    // The reopened coordinator writes tx-a's markers in the background, after a delay, while the
    // replay's reads take 2 ms each: a marker lands before its partition's replay, during it (it
    // waits for the partition's lock), or after. Each must reach the state once, in order.
    const orders = new Set<string>();
    for (const markerDelayMs of [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]) {
      const { world, broker, boot, handle, seen } = setup({ markerDelayMs, recoverInBackground: true, readDelayMs: 2 });
      const result = await simulate(world, async () => {
        await boot();
        const a = await producerIn(handle, "tx-a", 0, 1);
        for (const key of ["a", "b", "c", "d", "e"]) await a.produce(0, records(key));
        await a.produce(1, records("f"));
        await a.end(true);
        broker.crash();
        seen.calls.length = 0;
        await broker.start();
        await world.sleep(50);
        const committed = [await handle(fetch(0, 0, "read_committed")), await handle(fetch(1, 0, "read_committed"))];
        return { calls: [...seen.calls], committed: committed.map(shape) };
      });
      const label = `marker delay ${markerDelayMs}`;
      orders.add(result.calls.join(" | "));
      const appended = (p: number) => result.calls.filter((c) => c.startsWith(`appended p${p} `));
      // The state itself throws on an entry out of order or twice; here, none is missing either.
      expect(appended(0), label).toEqual(
        [0, 1, 2, 3, 4].map((o) => `appended p0 @${o} data`).concat("appended p0 @5 marker"),
      );
      expect(appended(1), label).toEqual(["appended p1 @0 data", "appended p1 @1 marker"]);
      expect(result.committed, label).toEqual([
        { entries: ["a", "b", "c", "d", "e"], nextOffset: 6, lastStableOffset: 6, highWatermark: 6 },
        { entries: ["f"], nextOffset: 2, lastStableOffset: 2, highWatermark: 2 },
      ]);
    }
    // The delays put the markers' requests at four different points, so the test covers what it
    // claims: p0's before the replay and p1's during p0's (both replayed); p0's during its own
    // replay (delivered after it); p0's during p1's replay (delivered live); both after the replay.
    expect(orders.size).toBe(4);
  });
});

describe("broker kafka: the coordinator's records", () => {
  const record = (epoch: number, state: TxnRecord["state"], partitions: number[] = []): TxnRecord => ({
    producerId: 7,
    epoch,
    state,
    partitions,
    startedAtMs: 10 * epoch,
  });

  it("loads the latest saved record of each transactional id after a crash and after a power loss", async () => {
    const { world, broker, boot, side } = setup();
    const loaded = await simulate(world, async () => {
      await boot();
      const saved = [
        side().txnLog.save("tx-a", record(0, "Empty")),
        side().txnLog.save("tx-b", record(3, "Ongoing", [1])),
        side().txnLog.save("tx-a", record(1, "Ongoing", [0, 1])),
        side().txnLog.save("tx-a", record(2, "PrepareCommit", [0, 1])),
      ];
      // Saved at once: saves of one id keep their call order.
      await Promise.all(saved);
      const before = await side().txnLog.load();
      broker.crash();
      await broker.start();
      const afterCrash = await side().txnLog.load();
      await side().txnLog.save("tx-b", record(4, "CompleteAbort", [1]));
      broker.powerLoss();
      await broker.start();
      return { before, afterCrash, afterPowerLoss: await side().txnLog.load() };
    });
    // The test coordinator's open finished tx-a's PrepareCommit on each restart (its markers, then CompleteCommit).
    expect(loaded.before).toEqual(
      new Map([
        ["tx-a", record(2, "PrepareCommit", [0, 1])],
        ["tx-b", record(3, "Ongoing", [1])],
      ]),
    );
    expect(loaded.afterCrash).toEqual(
      new Map([
        ["tx-a", record(2, "CompleteCommit", [0, 1])],
        ["tx-b", record(3, "Ongoing", [1])],
      ]),
    );
    expect(loaded.afterPowerLoss).toEqual(
      new Map([
        ["tx-a", record(2, "CompleteCommit", [0, 1])],
        ["tx-b", record(4, "CompleteAbort", [1])],
      ]),
    );
  });

  it("keeps one id's saves in call order on a store that reorders concurrent appends", async () => {
    const loaded = await inBootedNode({}, async ({ env }) => {
      const memory = new MemoryStore();
      let calls = 0;
      // Each append waits less than the one called before it: unordered, they would land reversed.
      const reordering: MessageStore = {
        append: async (message) => {
          await env.clock.sleep(10 - 3 * calls++);
          return memory.append(message);
        },
        read: (topic, queueId, offset, max) => memory.read(topic, queueId, offset, max),
        bounds: (topic, queueId) => memory.bounds(topic, queueId),
        scan: (visit) => memory.scan(visit),
      };
      const txnLog = openTxnLog(env, reordering, PARTITIONS);
      await Promise.all([0, 1, 2].map((epoch) => txnLog.save("tx-a", record(epoch, "Ongoing"))));
      return txnLog.load();
    });
    expect(loaded).toEqual(new Map([["tx-a", record(2, "Ongoing")]]));
  });

  it("refuses a record the coordinator could not mean, and keeps none of it", async () => {
    const { world, boot, side } = setup();
    const outcome = await simulate(world, async () => {
      await boot();
      const bad: [string, TxnRecord][] = [
        ["", record(0, "Empty")],
        ["tx-a", { ...record(0, "Empty"), epoch: -1 }],
        ["tx-a", { ...record(0, "Empty"), producerId: 1.5 }],
        ["tx-a", { ...record(0, "Ongoing"), partitions: [PARTITIONS] }],
        ["tx-a", { ...record(0, "Empty"), state: "Dead" as TxnRecord["state"] }],
        ["tx-a", { ...record(0, "Empty"), startedAtMs: Number.NaN }],
      ];
      const refused = [];
      for (const [id, r] of bad) {
        refused.push(
          await side()
            .txnLog.save(id, r)
            .then(
              () => "saved",
              (e: unknown) => (e instanceof RangeError ? "refused" : "other"),
            ),
        );
      }
      return { refused, loaded: await side().txnLog.load() };
    });
    expect(outcome).toEqual({ refused: new Array(6).fill("refused"), loaded: new Map() });
  });
});

describe("broker kafka: fetch", () => {
  /** tx-a commits [a1, a2] on p0; tx-b aborts [b1]; tx-a then leaves [a3] open. */
  async function threeTransactions(handle: ReturnType<typeof setup>["handle"], world: World) {
    const a = producer(handle, "tx-a");
    const b = producer(handle, "tx-b");
    await a.init();
    await b.init();
    await a.add(0);
    await b.add(0);
    await a.produce(0, records("a1", "a2"));
    await b.produce(0, records("b1"));
    await a.end(true);
    await b.end(false);
    await world.sleep(10);
    await a.add(0);
    await a.produce(0, records("a3"));
  }

  it("read_uncommitted returns the raw log with its markers; read_committed goes through the plug-in", async () => {
    const { world, boot, handle } = setup();
    const replies = await simulate(world, async () => {
      await boot();
      await threeTransactions(handle, world);
      return {
        raw: shape(await handle(fetch(0, 0, "read_uncommitted"))),
        rawFrom3: shape(await handle(fetch(0, 3, "read_uncommitted"))),
        rawPastEnd: shape(await handle(fetch(0, 9, "read_uncommitted"))),
        committed: shape(await handle(fetch(0, 0, "read_committed"))),
        otherPartition: shape(await handle(fetch(1, 0, "read_committed"))),
      };
    });
    expect(replies).toEqual({
      // a1+a2 @0, b1 @1, commit(tx-a) @2, abort(tx-b) @3, a3 @4 (open: the last stable offset)
      raw: { entries: ["a1+a2", "b1", "commit", "abort", "a3"], nextOffset: 5, lastStableOffset: 4, highWatermark: 5 },
      rawFrom3: { entries: ["abort", "a3"], nextOffset: 5, lastStableOffset: 4, highWatermark: 5 },
      rawPastEnd: { entries: [], nextOffset: 9, lastStableOffset: 4, highWatermark: 5 },
      committed: { entries: ["a1+a2"], nextOffset: 4, lastStableOffset: 4, highWatermark: 5 },
      otherPartition: { entries: [], nextOffset: 0, lastStableOffset: 0, highWatermark: 0 },
    });
  });

  it("returns each data entry whole, with its producer, epoch and sequence; gives at most pullMax entries", async () => {
    const { world, boot, handle } = setup();
    const replies = await simulate(world, async () => {
      await boot();
      await threeTransactions(handle, world);
      return {
        first: await handle(fetch(0, 0, "read_uncommitted", 1)),
        capped: await handle(fetch(0, 0, "read_uncommitted", 10_000)),
        none: await handle(fetch(0, 0, "read_uncommitted", 0)),
      };
    });
    expect(replies.first).toEqual({
      kind: "ok",
      records: [{ kind: "data", offset: 0, producerId: 1, epoch: 0, sequence: 0, records: records("a1", "a2") }],
      nextOffset: 1,
      lastStableOffset: 4,
      highWatermark: 5,
    });
    expect(replies.capped.kind === "ok" && replies.capped.records.length).toBe(Math.min(5, base.pullMax));
    expect(replies.capped.kind === "ok" && replies.capped.records[2]).toEqual({
      kind: "marker",
      offset: 2,
      producerId: 1,
      epoch: 1,
      commit: true,
    });
    expect(shape(replies.none)).toEqual({ entries: [], nextOffset: 0, lastStableOffset: 4, highWatermark: 5 });
  });
});

describe("broker kafka: under crash and power loss", () => {
  it("keeps every acknowledged batch and decision through a power loss, and the reopened coordinator ends the decided one", async () => {
    const { world, broker, boot, handle } = setup({ markerDelayMs: 30 });
    const result = await simulate(world, async () => {
      await boot();
      const a = await producerIn(handle, "tx-a", 0, 1);
      const acked = [await a.produce(0, records("a1")), await a.produce(1, records("a2"))];
      const end = await a.end(true);
      // Power is cut after the decision was acknowledged, before its markers.
      broker.powerLoss();
      await broker.start();
      const committed = [
        shape(await handle(fetch(0, 0, "read_committed"))),
        shape(await handle(fetch(1, 0, "read_committed"))),
      ];
      const again = producer(handle, "tx-a");
      await again.init();
      return { acked, end, committed, epochAfter: again.epoch };
    });
    expect(result).toEqual({
      acked: [
        { kind: "ok", baseOffset: 0 },
        { kind: "ok", baseOffset: 0 },
      ],
      end: { kind: "ok", epoch: 1 },
      committed: [
        { entries: ["a1"], nextOffset: 2, lastStableOffset: 2, highWatermark: 2 },
        { entries: ["a2"], nextOffset: 2, lastStableOffset: 2, highWatermark: 2 },
      ],
      epochAfter: 2,
    });
  });

  it("serves no request before the plug-in's open and the replay have finished", async () => {
    const { world, broker, boot, connect, handle, seen } = setup({ openDelayMs: 60 });
    const result = await simulate(world, async () => {
      await boot();
      await world.sleep(60);
      const a = producer(handle, "tx-a");
      await a.init();
      await a.add(0);
      await a.produce(0, records("a1"));
      broker.crash();
      seen.calls.length = 0;
      void broker.start();
      await world.sleep(5);
      const c = await connect(20);
      const during = [
        await c.call({ type: "initProducerId", transactionalId: "tx-b" }),
        await c.call(fetch(0, 0, "read_uncommitted")),
        await c.call({ type: "route", topic: "orders" }),
      ].map((o) => o.kind);
      await world.sleep(60);
      const after = ok(await c.call(fetch(0, 0, "read_uncommitted")));
      return { during, after: shape(after), calls: [...seen.calls] };
    });
    expect(result).toEqual({
      during: ["maybe", "maybe", "maybe"],
      after: { entries: ["a1"], nextOffset: 1, lastStableOffset: 0, highWatermark: 1 },
      calls: ["open", "opened", "appended p0 @0 data"],
    });
  });
});
