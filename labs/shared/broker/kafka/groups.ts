/**
 * Kafka's consumer groups and their offsets (lab 04, L4.F), provided: the group coordinator
 * (core/.../coordinator/group/GroupCoordinator.scala, GroupMetadata.scala), shrunk to what
 * consume-transform-produce needs.
 *
 *   joinGroup       -->  member list, generation, assignment (memory; generations durable)
 *   groupHeartbeat  -->  "ok", or "rejoin": the generation moved on, or the member was dropped
 *   offsetFetch     -->  committed offsets, or `unstable` while a transaction holds some pending
 *   txnOffsetCommit -->  generation check, then a data entry of the offsets partition, through
 *                        the partition state's checkAppend (producer epoch, KIP-890 verification):
 *                        pending until that producer's COMMIT marker, dropped by its ABORT
 *   offsetCommit    -->  generation check, then committed at once (a plain record)
 *
 * Membership: a member not heard from (join or heartbeat) for `sessionMs` of the broker's clock is
 * dropped when the group is next looked at; every change of the member list starts a new
 * generation with a new assignment (partitions dealt round-robin over the members sorted by id).
 * Kafka waits for every member to rejoin before it hands out a generation (the join barrier); here
 * the generation is handed out at once and the others learn of it at their next heartbeat. Until
 * they rejoin, two members may both believe they own a partition: the generation check on every
 * offset commit is what keeps the old one's work from counting, as it is in Kafka.
 *
 * The offsets partition `__consumer_offsets` is one more partition of the layout (topics.ts):
 * queue 0 of that store topic holds the transactional commits as ordinary data entries and the
 * coordinator's markers (lab 03's coordinator writes them there because `addOffsetsToTxn` added
 * the partition to the transaction). Queue 1 holds plain records, each one store message: a plain
 * offset commit (with the offsets partition's end when it was written, so that replay applies it
 * in its place among the markers) or a new generation (so that generations only go up across
 * restarts). Members live in memory: after a restart every member must rejoin.
 *
 * Kafka's own rules, for comparison: GroupMetadata.prepareTxnOffsetCommit keeps a producer's
 * offsets aside; completePendingTxnOffsetCommit applies them on COMMIT and drops them on ABORT;
 * GroupCoordinator.validateOffsetCommit checks the generation only when the request carries one
 * (KIP-447; the old `sendOffsetsToTransaction(offsets, groupId)` sends generation -1 and no
 * member id, and a transactional commit is then not checked at all, a plain one only refused
 * while the group has members); OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT while a
 * partition has pending transactional offsets.
 */
import type { Env } from "#lab";
import { KeyedMutex } from "../keyed-mutex.ts";
import type { LogEntry, PartitionOffset, ReplyOf, TxnOffsetCommitRequest } from "../protocol.ts";
import { type MessageStore, serviceMessage } from "../store.ts";
import { CONSUMER_OFFSETS_TOPIC } from "./topics.ts";

/** Queue 1 of `__consumer_offsets`: plain offset commits and generations. */
const PLAIN_QUEUE = 1;

export interface GroupsConfig {
  /** A member not heard from for this long (broker clock) is dropped [session.timeout.ms]. */
  sessionMs: number;
  /**
   * For graders: every new generation and every offset commit the broker accepted, as it happens
   * (called inside the broker; it must not throw).
   */
  observe?: (event: GroupEvent) => void;
}

/** What `GroupsConfig.observe` is told. */
export type GroupEvent =
  | {
      kind: "generation";
      atMs: number;
      group: string;
      generation: number;
      /** Each member and the node it joined from, with its partitions. */
      members: { memberId: string; node: string; partitions: number[] }[];
    }
  | {
      kind: "commit";
      atMs: number;
      group: string;
      /** The node the request came from. */
      node: string;
      memberId: string;
      /** The generation the request carried (-1: none). */
      generation: number;
      /** The group's generation when the broker accepted it. */
      currentGeneration: number;
      /** Whether the sending node had a member in the current generation. */
      nodeIsMember: boolean;
      /** null: a plain offsetCommit. */
      producerId: number | null;
      topic: string;
      offsets: PartitionOffset[];
    };

interface Member {
  node: string;
  lastHeardMs: number;
}

interface Group {
  topic: string;
  generation: number;
  members: Map<string, Member>;
  assignment: Map<string, number[]>;
}

/** One plain record of queue 1. */
type PlainRecord =
  | { kind: "commit"; group: string; topic: string; offsets: PartitionOffset[]; after: number }
  | { kind: "generation"; group: string; generation: number };

/** The pending offsets one transactional data entry carries. */
interface PendingOffsets {
  group: string;
  topic: string;
  offsets: PartitionOffset[];
}

/** What the group coordinator needs of the broker's Kafka side. */
export interface GroupSide {
  env: Env;
  store: MessageStore;
  /** Partition count of a topic (0: no such topic). */
  countOf(topic: string): number;
  /**
   * Appends a transactional data entry to the offsets partition as produceTxn appends a batch:
   * under its lock, after the partition state's checkAppend. `sequenceOf` is called under the lock.
   */
  appendOffsets(
    entry: { producerId: number; epoch: number; records: { key: string; body: string }[] },
    sequenceOf: () => number,
  ): Promise<ReplyOf["txnOffsetCommit"]>;
  /** Runs `task` under the offsets partition's lock, with its current end. */
  underOffsetsLock<T>(task: (end: number) => Promise<T>): Promise<T>;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly locks = new KeyedMutex();
  /** group \0 topic \0 partition -> committed offset. */
  private readonly committed = new Map<string, number>();
  private readonly pending = new Map<number, PendingOffsets[]>();
  /** Per producer id: the epoch and last sequence of its latest data entry in the offsets partition. */
  private readonly sequences = new Map<number, { epoch: number; sequence: number }>();
  /** Highest generation per group, from queue 1 (replay) and from this incarnation. */
  private readonly generations = new Map<string, number>();
  /** Plain commits not yet replayed (replay only), in their order. */
  private replayQueue: Extract<PlainRecord, { kind: "commit" }>[] = [];

  private constructor(
    private readonly side: GroupSide,
    private readonly config: GroupsConfig,
  ) {}

  /** Loads queue 1; the offsets partition's entries follow through `onEntry` (the broker's replay). */
  static async open(side: GroupSide, config: GroupsConfig): Promise<GroupCoordinator> {
    const coordinator = new GroupCoordinator(side, config);
    const { maxOffset } = side.store.bounds(CONSUMER_OFFSETS_TOPIC, PLAIN_QUEUE);
    const messages = await side.store.read(CONSUMER_OFFSETS_TOPIC, PLAIN_QUEUE, 0, maxOffset);
    for (const m of messages) {
      const record = JSON.parse(m.body) as PlainRecord;
      if (record.kind === "generation") {
        coordinator.generations.set(
          record.group,
          Math.max(record.generation, coordinator.generations.get(record.group) ?? 0),
        );
      } else coordinator.replayQueue.push(record);
    }
    return coordinator;
  }

  /** Every entry of the offsets partition, in offset order: the replay, then each append. */
  onEntry(entry: LogEntry): void {
    this.replayPlainBefore(entry.offset);
    if (entry.kind === "data") {
      this.sequences.set(entry.producerId, { epoch: entry.epoch, sequence: entry.sequence });
      const list = this.pending.get(entry.producerId) ?? [];
      for (const record of entry.records) list.push(JSON.parse(record.body) as PendingOffsets);
      this.pending.set(entry.producerId, list);
      return;
    }
    const list = this.pending.get(entry.producerId);
    this.pending.delete(entry.producerId);
    if (entry.commit && list !== undefined) for (const p of list) this.apply(p.group, p.topic, p.offsets);
  }

  /** The replay has read the whole offsets partition: the plain commits after its end apply now. */
  replayDone(): void {
    this.replayPlainBefore(Number.POSITIVE_INFINITY);
  }

  joinGroup(from: string, request: { group: string; topic: string; memberId: string }): Promise<ReplyOf["joinGroup"]> {
    if (this.side.countOf(request.topic) === 0) return Promise.resolve({ kind: "noSuchTopic" });
    return this.locks.run(request.group, async () => {
      const group = this.groupOf(request.group, request.topic);
      const now = this.side.env.clock.now();
      let changed = this.expire(group, now);
      let memberId = request.memberId;
      const known = group.members.get(memberId);
      if (known === undefined || group.topic !== request.topic) {
        memberId = `${from}-g${group.generation + 1}`;
        group.members.set(memberId, { node: from, lastHeardMs: now });
        changed = true;
      } else known.lastHeardMs = now;
      if (changed) await this.newGeneration(request.group, group);
      return {
        kind: "ok",
        generation: group.generation,
        memberId,
        assignment: [...(group.assignment.get(memberId) ?? [])],
      };
    });
  }

  groupHeartbeat(request: { group: string; generation: number; memberId: string }): Promise<ReplyOf["groupHeartbeat"]> {
    return this.locks.run(request.group, async () => {
      const group = this.groups.get(request.group);
      if (group === undefined) return { kind: "unknownMember" };
      const now = this.side.env.clock.now();
      if (this.expire(group, now)) await this.newGeneration(request.group, group);
      const member = group.members.get(request.memberId);
      if (member === undefined) return { kind: "unknownMember" };
      member.lastHeardMs = now;
      return request.generation === group.generation ? { kind: "ok" } : { kind: "rebalanceInProgress" };
    });
  }

  offsetFetch(request: { group: string; topic: string; partitions: number[] }): ReplyOf["offsetFetch"] {
    const count = this.side.countOf(request.topic);
    if (count === 0 || !request.partitions.every((p) => Number.isSafeInteger(p) && p >= 0 && p < count)) {
      return { kind: "noSuchTopic" };
    }
    const asked = new Set(request.partitions);
    for (const list of this.pending.values()) {
      for (const p of list) {
        if (p.group === request.group && p.topic === request.topic && p.offsets.some((o) => asked.has(o.partition))) {
          return { kind: "unstable" };
        }
      }
    }
    return {
      kind: "ok",
      offsets: request.partitions.map((p) => this.committed.get(keyOf(request.group, request.topic, p)) ?? null),
    };
  }

  txnOffsetCommit(from: string, request: TxnOffsetCommitRequest): Promise<ReplyOf["txnOffsetCommit"]> {
    if (!this.validOffsets(request.topic, request.offsets)) return Promise.resolve({ kind: "noSuchTopic" });
    return this.locks.run(request.group, async () => {
      const check = await this.checkGeneration(request, true);
      if (check === null) return { kind: "illegalGeneration" };
      const body = JSON.stringify({
        group: request.group,
        topic: request.topic,
        offsets: copyOffsets(request.offsets),
      });
      const reply = await this.side.appendOffsets(
        { producerId: request.producerId, epoch: request.epoch, records: [{ key: request.group, body }] },
        () => {
          const seen = this.sequences.get(request.producerId);
          return seen !== undefined && seen.epoch === request.epoch ? seen.sequence + 1 : 0;
        },
      );
      if (reply.kind === "ok") this.observeCommit(from, request, check, request.producerId);
      return reply;
    });
  }

  offsetCommit(
    from: string,
    request: { group: string; generation: number; memberId: string; topic: string; offsets: PartitionOffset[] },
  ): Promise<ReplyOf["offsetCommit"]> {
    if (!this.validOffsets(request.topic, request.offsets)) return Promise.resolve({ kind: "noSuchTopic" });
    return this.locks.run(request.group, async () => {
      const check = await this.checkGeneration(request, false);
      if (check === null) return { kind: "illegalGeneration" };
      const offsets = copyOffsets(request.offsets);
      try {
        await this.side.underOffsetsLock(async (end) => {
          const record: PlainRecord = {
            kind: "commit",
            group: request.group,
            topic: request.topic,
            offsets,
            after: end,
          };
          await this.appendPlain(request.group, record);
          this.apply(request.group, request.topic, offsets);
        });
      } catch (error) {
        return { kind: "error", message: error instanceof Error ? error.message : String(error) };
      }
      this.observeCommit(from, request, check, null);
      return { kind: "ok" };
    });
  }

  // ---- inside -------------------------------------------------------------------------------

  private groupOf(name: string, topic: string): Group {
    let group = this.groups.get(name);
    if (group === undefined) {
      group = { topic, generation: this.generations.get(name) ?? 0, members: new Map(), assignment: new Map() };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Drops the members not heard from for a session; true if any was dropped. */
  private expire(group: Group, nowMs: number): boolean {
    let dropped = false;
    for (const [id, member] of group.members) {
      if (nowMs - member.lastHeardMs > this.config.sessionMs) {
        group.members.delete(id);
        dropped = true;
      }
    }
    return dropped;
  }

  /** A new generation: durable before anyone is told of it, then a new assignment. */
  private async newGeneration(name: string, group: Group): Promise<void> {
    group.generation += 1;
    this.generations.set(name, group.generation);
    await this.appendPlain(name, { kind: "generation", group: name, generation: group.generation });
    const ids = [...group.members.keys()].sort();
    group.assignment = new Map(ids.map((id) => [id, [] as number[]]));
    const count = this.side.countOf(group.topic);
    for (let p = 0; p < count && ids.length > 0; p++) group.assignment.get(ids[p % ids.length] as string)?.push(p);
    this.config.observe?.({
      kind: "generation",
      atMs: this.side.env.clock.now(),
      group: name,
      generation: group.generation,
      members: ids.map((id) => ({
        memberId: id,
        node: group.members.get(id)?.node ?? "",
        partitions: [...(group.assignment.get(id) ?? [])],
      })),
    });
  }

  /**
   * The group's generation check of an offset commit, or null if it fails. Generation -1 skips it
   * for a transactional commit (the old protocol sent none), and for a plain one only while the
   * group has no members [GroupCoordinator.validateOffsetCommit]. Returns the current generation
   * it was checked at.
   */
  private async checkGeneration(
    request: { group: string; generation: number; memberId: string },
    transactional: boolean,
  ): Promise<{ current: number } | null> {
    const group = this.groups.get(request.group);
    if (group !== undefined && this.expire(group, this.side.env.clock.now())) {
      // Dropping a silent member is a membership change like any other: the generation moves on.
      await this.newGeneration(request.group, group);
    }
    const current = group?.generation ?? this.generations.get(request.group) ?? 0;
    if (request.generation === -1) return transactional || (group?.members.size ?? 0) === 0 ? { current } : null;
    if (group === undefined || request.generation !== group.generation || !group.members.has(request.memberId)) {
      return null;
    }
    return { current };
  }

  private observeCommit(
    from: string,
    request: { group: string; generation: number; memberId: string; topic: string; offsets: PartitionOffset[] },
    check: { current: number },
    producerId: number | null,
  ): void {
    const group = this.groups.get(request.group);
    const nodeIsMember = group !== undefined && [...group.members.values()].some((m) => m.node === from);
    this.config.observe?.({
      kind: "commit",
      atMs: this.side.env.clock.now(),
      group: request.group,
      node: from,
      memberId: request.memberId,
      generation: request.generation,
      currentGeneration: check.current,
      nodeIsMember,
      producerId,
      topic: request.topic,
      offsets: copyOffsets(request.offsets),
    });
  }

  private validOffsets(topic: string, offsets: readonly PartitionOffset[]): boolean {
    const count = this.side.countOf(topic);
    return (
      count > 0 &&
      Array.isArray(offsets) &&
      offsets.every(
        (o) =>
          Number.isSafeInteger(o.partition) &&
          o.partition >= 0 &&
          o.partition < count &&
          Number.isSafeInteger(o.offset) &&
          o.offset >= 0,
      )
    );
  }

  private apply(group: string, topic: string, offsets: readonly PartitionOffset[]): void {
    for (const o of offsets) this.committed.set(keyOf(group, topic, o.partition), o.offset);
  }

  private async appendPlain(group: string, record: PlainRecord): Promise<void> {
    await this.side.store.append(
      serviceMessage(
        { topic: CONSUMER_OFFSETS_TOPIC, queueId: PLAIN_QUEUE, key: group, body: JSON.stringify(record) },
        this.side.env.clock.now(),
      ),
    );
  }

  private replayPlainBefore(offset: number): void {
    while (this.replayQueue.length > 0 && (this.replayQueue[0]?.after ?? 0) <= offset) {
      const record = this.replayQueue.shift();
      if (record !== undefined) this.apply(record.group, record.topic, record.offsets);
    }
  }
}

function keyOf(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`;
}

function copyOffsets(offsets: readonly PartitionOffset[]): PartitionOffset[] {
  return offsets.map((o) => ({ partition: o.partition, offset: o.offset }));
}
