/**
 * The broker's consumer groups and offsets in transactions (kafka/groups.ts, lab 04's L4.F), on
 * lab 03's reference coordinator and partition states (the plug-in lab 04 runs): pending
 * transactional offsets are invisible until their COMMIT marker, dropped by an ABORT, replayed
 * after a crash and a power loss; offsetFetch answers `unstable` while some are pending; a commit
 * from an old generation, or from a fenced producer epoch, is refused; generation -1 skips the
 * generation check (the pre-KIP-447 overload).
 */
import { describe, expect, it } from "vitest";
import { simulate } from "#harness/sim/testing.ts";
import { World } from "#harness/sim/world.ts";
import { assembleKafka } from "#labs/03-transactional-messages/provided.ts";
import { openCoordinator } from "#labs/03-transactional-messages/solution/coordinator.ts";
import { openPartitionState, readCommitted } from "#labs/03-transactional-messages/solution/partition-state.ts";
import { type BrokerConfig, defaultBrokerConfig } from "./broker.ts";
import type { GroupEvent } from "./kafka/groups.ts";
import { openLogStore } from "./log-store.ts";
import type { BrokerRequest, PartitionOffset, ReplyOf } from "./protocol.ts";
import { brokerWithClient } from "./test-broker.ts";

const SESSION_MS = 120;
const GROUP = "transformers";
const IN = "orders-in";

function setup() {
  const world = new World({ seed: 1 });
  const events: GroupEvent[] = [];
  const config: BrokerConfig = {
    ...defaultBrokerConfig,
    kafka: {
      partitions: 2,
      topics: { [IN]: 3 },
      groups: { sessionMs: SESSION_MS, observe: (event) => events.push(event) },
      open: (side) => assembleKafka(side, { openCoordinator, openPartitionState, readCommitted }),
    },
  };
  const { broker, boot } = brokerWithClient(world, config, (env) => openLogStore(env), "t1");
  /** A request handled by the broker directly, as from `from`: no network. */
  const handle = async <R extends BrokerRequest>(request: R, from = "t1"): Promise<ReplyOf[R["type"]]> => {
    const outcome = await broker.invoke((b) => b.handle(from, request));
    if (outcome.kind !== "ok") throw new Error(`the broker is ${outcome.kind}`);
    return outcome.value as ReplyOf[R["type"]];
  };
  return { world, broker, boot, handle, events };
}

type Handle = ReturnType<typeof setup>["handle"];

/** A transactional producer that commits offsets, as a KIP-447 client does. */
async function txnProducer(handle: Handle, transactionalId: string, from = "t1") {
  const init = await handle({ type: "initProducerId", transactionalId }, from);
  if (init.kind !== "ok") throw new Error(`initProducerId: ${init.kind}`);
  const { producerId } = init;
  let epoch = init.epoch;
  return {
    producerId,
    get epoch() {
      return epoch;
    },
    addOffsets: () => handle({ type: "addOffsetsToTxn", transactionalId, producerId, epoch, group: GROUP }, from),
    commitOffsets: (offsets: PartitionOffset[], member: { generation: number; memberId: string }, atEpoch = epoch) =>
      handle(
        {
          type: "txnOffsetCommit",
          group: GROUP,
          ...member,
          transactionalId,
          producerId,
          epoch: atEpoch,
          topic: IN,
          offsets,
        },
        from,
      ),
    async end(commit: boolean) {
      const reply = await handle({ type: "endTxn", transactionalId, producerId, epoch, commit }, from);
      if (reply.kind === "ok") epoch = reply.epoch;
      return reply;
    },
  };
}

type Producer = Awaited<ReturnType<typeof txnProducer>>;

/** One whole transaction of `tx` that commits `offsets` and ends (COMMIT or ABORT), then waits for its markers. */
async function offsetsInTxn(
  world: World,
  tx: Producer,
  offsets: PartitionOffset[],
  member: { generation: number; memberId: string },
  commit = true,
) {
  await tx.addOffsets();
  await tx.commitOffsets(offsets, member);
  const ended = await tx.end(commit);
  await world.sleep(20);
  return ended;
}

const fetchOffsets = (handle: Handle) =>
  handle({ type: "offsetFetch", group: GROUP, topic: IN, partitions: [0, 1, 2] });

async function join(handle: Handle, from: string, memberId = "") {
  const reply = await handle({ type: "joinGroup", group: GROUP, topic: IN, memberId }, from);
  if (reply.kind !== "ok") throw new Error(`joinGroup: ${reply.kind}`);
  return reply;
}

describe("broker kafka groups: offsets in transactions", () => {
  it("keeps a transaction's offsets pending (offsetFetch: unstable) until its COMMIT marker, then shows them", async () => {
    const { world, boot, handle } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const m = await join(handle, "t1");
      const tx = await txnProducer(handle, "tx-t1");
      const before = await fetchOffsets(handle);
      const added = await tx.addOffsets();
      const accepted = await tx.commitOffsets([{ partition: 1, offset: 5 }], m);
      const pending = await fetchOffsets(handle);
      const other = await handle({ type: "offsetFetch", group: GROUP, topic: IN, partitions: [0, 2] });
      const ended = await tx.end(true);
      await world.sleep(20);
      const after = await fetchOffsets(handle);
      return { before, added, accepted, pending, other, ended: ended.kind, after };
    });
    expect(result).toEqual({
      before: { kind: "ok", offsets: [null, null, null] },
      added: { kind: "ok" },
      accepted: { kind: "ok" },
      pending: { kind: "unstable" },
      // Only the partitions with pending offsets are unstable.
      other: { kind: "ok", offsets: [null, null] },
      ended: "ok",
      after: { kind: "ok", offsets: [null, 5, null] },
    });
  });

  it("drops a transaction's offsets at its ABORT marker", async () => {
    const { world, boot, handle } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const m = await join(handle, "t1");
      const tx = await txnProducer(handle, "tx-t1");
      await offsetsInTxn(world, tx, [{ partition: 0, offset: 3 }], m);
      const aborted = await offsetsInTxn(world, tx, [{ partition: 0, offset: 9 }], m, false);
      return { aborted: aborted.kind, after: await fetchOffsets(handle) };
    });
    expect(result).toEqual({ aborted: "ok", after: { kind: "ok", offsets: [3, null, null] } });
  });

  it("refuses offsets of a transaction that did not add them (addOffsetsToTxn), and of an older producer epoch", async () => {
    const { world, boot, handle } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const m = await join(handle, "t1");
      const tx = await txnProducer(handle, "tx-t1");
      const notAdded = await tx.commitOffsets([{ partition: 0, offset: 1 }], m);
      await tx.addOffsets();
      const oldEpoch = tx.epoch;
      // A new incarnation of the same transactional id fences the old one, whose transaction is aborted.
      const again = await txnProducer(handle, "tx-t1");
      await world.sleep(20);
      const zombie = await tx.commitOffsets([{ partition: 0, offset: 2 }], m, oldEpoch);
      await again.addOffsets();
      const fresh = await again.commitOffsets([{ partition: 0, offset: 4 }], m);
      await again.end(true);
      await world.sleep(20);
      return { notAdded, zombie, fresh, after: await fetchOffsets(handle) };
    });
    expect(result).toEqual({
      notAdded: { kind: "invalidTxnState" },
      zombie: { kind: "fenced" },
      fresh: { kind: "ok" },
      after: { kind: "ok", offsets: [4, null, null] },
    });
  });

  it("replays committed and pending offsets after a crash and after a power loss; a plain commit keeps its place", async () => {
    for (const fault of ["crash", "powerLoss"] as const) {
      const { world, broker, boot, handle } = setup();
      const result = await simulate(world, async () => {
        await boot();
        const m = await join(handle, "t1");
        const tx = await txnProducer(handle, "tx-t1");
        await offsetsInTxn(world, tx, [{ partition: 0, offset: 3 }], m);
        // A plain commit after it wins on partition 0; then a transaction left open.
        await handle({ type: "offsetCommit", group: GROUP, ...m, topic: IN, offsets: [{ partition: 0, offset: 7 }] });
        await tx.addOffsets();
        await tx.commitOffsets([{ partition: 2, offset: 8 }], m);
        if (fault === "crash") broker.crash();
        else broker.powerLoss();
        await broker.start();
        const reopened = await fetchOffsets(handle);
        const stillPending = await handle({ type: "offsetFetch", group: GROUP, topic: IN, partitions: [2] });
        // The coordinator aborts the open transaction at its timeout: its offsets go.
        await world.sleep(1000);
        return { reopened, stillPending, timedOut: await fetchOffsets(handle) };
      });
      expect(result, fault).toEqual({
        reopened: { kind: "unstable" },
        stillPending: { kind: "unstable" },
        timedOut: { kind: "ok", offsets: [7, null, null] },
      });
    }
  });
});

describe("broker kafka groups: generations", () => {
  it("starts a generation at every join and deals the partitions over the members", async () => {
    const { world, boot, handle, events } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const a = await join(handle, "t1");
      const b = await join(handle, "t2");
      const hbA = await handle({
        type: "groupHeartbeat",
        group: GROUP,
        generation: a.generation,
        memberId: a.memberId,
      });
      const a2 = await join(handle, "t1", a.memberId);
      return { a, b, hbA, a2 };
    });
    expect(result).toEqual({
      a: { kind: "ok", generation: 1, memberId: "t1-g1", assignment: [0, 1, 2] },
      b: { kind: "ok", generation: 2, memberId: "t2-g2", assignment: [1] },
      hbA: { kind: "rebalanceInProgress" },
      // A rejoin of a known member starts no generation.
      a2: { kind: "ok", generation: 2, memberId: "t1-g1", assignment: [0, 2] },
    });
    expect(events.filter((e) => e.kind === "generation").map((e) => e.generation)).toEqual([1, 2]);
  });

  it("refuses offsets from an older generation or an unknown member (illegalGeneration); generation -1 skips the check", async () => {
    const { world, boot, handle, events } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const a = await join(handle, "t1");
      await join(handle, "t2");
      const tx = await txnProducer(handle, "tx-t1");
      await tx.addOffsets();
      const stale = await tx.commitOffsets([{ partition: 0, offset: 1 }], a);
      const stranger = await tx.commitOffsets([{ partition: 0, offset: 1 }], { generation: 2, memberId: "t9-g1" });
      const plain = await handle({ type: "offsetCommit", group: GROUP, ...a, topic: IN, offsets: [] });
      // A plain commit with no generation is for consumers outside any group: refused while it has members.
      const plainNoGeneration = await handle({
        type: "offsetCommit",
        group: GROUP,
        generation: -1,
        memberId: "",
        topic: IN,
        offsets: [{ partition: 0, offset: 1 }],
      });
      const groupIdOnly = await tx.commitOffsets([{ partition: 0, offset: 1 }], { generation: -1, memberId: "" });
      await tx.end(true);
      await world.sleep(20);
      return { stale, stranger, plain, plainNoGeneration, groupIdOnly, after: await fetchOffsets(handle) };
    });
    expect(result).toEqual({
      stale: { kind: "illegalGeneration" },
      stranger: { kind: "illegalGeneration" },
      plain: { kind: "illegalGeneration" },
      plainNoGeneration: { kind: "illegalGeneration" },
      groupIdOnly: { kind: "ok" },
      after: { kind: "ok", offsets: [1, null, null] },
    });
    // The grader sees the accepted commit and that it came from a generation gone by.
    expect(events.filter((e) => e.kind === "commit")).toEqual([
      expect.objectContaining({ node: "t1", generation: -1, currentGeneration: 2, nodeIsMember: true, producerId: 0 }),
    ]);
  });

  it("drops a member silent past the session: the others are told to rejoin, and its commits are refused", async () => {
    const { world, boot, handle, events } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const a = await join(handle, "t1");
      const b = await join(handle, "t2", "");
      const b2 = await join(handle, "t2", b.memberId);
      const tx = await txnProducer(handle, "tx-t1");
      await tx.addOffsets();
      const a2 = await join(handle, "t1", a.memberId);
      // t1 falls silent; t2 keeps heartbeating.
      for (let i = 0; i < 8; i++) {
        await world.sleep(20);
        const hb = await handle(
          { type: "groupHeartbeat", group: GROUP, generation: b2.generation, memberId: b2.memberId },
          "t2",
        );
        if (hb.kind !== "ok") break;
      }
      const b3 = await join(handle, "t2", b.memberId);
      const zombie = await tx.commitOffsets([{ partition: 0, offset: 1 }], a2);
      const hbA = await handle({
        type: "groupHeartbeat",
        group: GROUP,
        generation: a2.generation,
        memberId: a.memberId,
      });
      return { b3, zombie, hbA };
    });
    expect(result).toEqual({
      b3: { kind: "ok", generation: 3, memberId: "t2-g2", assignment: [0, 1, 2] },
      zombie: { kind: "illegalGeneration" },
      hbA: { kind: "unknownMember" },
    });
    expect(events.filter((e) => e.kind === "generation").at(-1)).toMatchObject({
      generation: 3,
      members: [{ memberId: "t2-g2", node: "t2", partitions: [0, 1, 2] }],
    });
  });

  it("keeps generations going up across a restart, which every member must rejoin", async () => {
    const { world, broker, boot, handle } = setup();
    const result = await simulate(world, async () => {
      await boot();
      const a = await join(handle, "t1");
      await join(handle, "t2");
      broker.powerLoss();
      await broker.start();
      const hb = await handle({ type: "groupHeartbeat", group: GROUP, generation: 2, memberId: a.memberId });
      const again = await join(handle, "t1", a.memberId);
      return { hb, again };
    });
    expect(result).toEqual({
      hb: { kind: "unknownMember" },
      again: { kind: "ok", generation: 3, memberId: "t1-g3", assignment: [0, 1, 2] },
    });
  });

  it("answers noSuchTopic for an unknown topic, for the offsets partition as a topic, and without groups", async () => {
    const { world, boot, handle } = setup();
    const result = await simulate(world, async () => {
      await boot();
      return [
        await handle({ type: "joinGroup", group: GROUP, topic: "nope", memberId: "" }),
        await handle({
          type: "fetch",
          topic: "__consumer_offsets",
          partition: 0,
          offset: 0,
          max: 5,
          isolation: "read_uncommitted",
        }),
        await handle({ type: "offsetFetch", group: GROUP, topic: IN, partitions: [3] }),
      ].map((r) => r.kind);
    });
    expect(result).toEqual(["noSuchTopic", "noSuchTopic", "noSuchTopic"]);
  });
});
