/**
 * Kafka's transactions, side by side with RocketMQ's: what the broker gives the Kafka plug-in
 * (`KafkaSide`) and what the plug-in gives back (`KafkaTxnHooks`). Lab 03's L3.F learner writes
 * the plug-in; lab 03's provided.ts re-exports these types.
 *
 * In Kafka three pieces of the broker take part in a transaction:
 *   - the transaction coordinator (core/.../coordinator/transaction/TransactionCoordinator.scala)
 *     keeps one record per transactional id in the internal topic `__transaction_state`
 *     (TransactionLog.scala): producer id, epoch, state, partitions; it hands out epochs, decides,
 *     and writes a COMMIT or ABORT marker to each partition of the transaction
 *     (TransactionMarkerChannelManager.scala);
 *   - each partition leader keeps its producers' state (storage/.../ProducerStateManager.java,
 *     ProducerAppendInfo.java): the highest epoch seen (to fence zombies), sequences (to drop
 *     duplicates), the first offset of each open transaction (which holds back the last stable
 *     offset), and the aborted transactions (TransactionIndex.java, the `.txnindex` file);
 *   - fetch, which for a read_committed consumer stops at the last stable offset and drops
 *     aborted data (UnifiedLog.scala, CompletedFetch.java on the client).
 * Here one broker node plays coordinator and leader of every partition. The shared broker provides
 * the durable parts and the plumbing (the partition logs, the coordinator's records, routing,
 * replay); the plug-in provides the decisions. The calling contract, which the broker keeps:
 *   - `KafkaConfig.open(side)` runs before the broker serves anything. It may append (markers of
 *     transactions it finishes) and start timers on `side.env.clock`;
 *   - once it resolves, the broker replays each partition's whole log, in offset order, through
 *     that partition's `onAppended`, and only then serves requests;
 *   - from then on, every append to a partition (a `produceTxn` batch or a marker through
 *     `side.append`) is followed by `onAppended` with the stored entry, in log order, before the
 *     next append to that partition starts: one append per partition at a time;
 *   - `produceTxn` calls `checkAppend` before its append, under the same per-partition lock, and
 *     appends only if it answers "append".
 */
import type { Env } from "#lab";
import type {
  AddPartitionsToTxnRequest,
  EndTxnRequest,
  FetchReply,
  InitProducerIdRequest,
  KafkaRecord,
  LogEntry,
  ReplyOf,
} from "../protocol.ts";
import type { GroupsConfig } from "./groups.ts";

export type { KafkaRecord, LogEntry };

/** A transaction's state at its coordinator [TransactionState]. */
export type TxnState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort";

export const TXN_STATES: readonly TxnState[] = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
];

/** The coordinator's durable record of one transactional id [TransactionLogValue]. */
export interface TxnRecord {
  producerId: number;
  epoch: number;
  state: TxnState;
  /** Partitions of `payments` in the current (or last) transaction. */
  partitions: number[];
  /** Coordinator clock when the current transaction became Ongoing (its timeout counts from here). */
  startedAtMs: number;
}

/** A data batch as `produceTxn` offers it to a partition: the request without its routing. */
export interface TxnBatch {
  producerId: number;
  epoch: number;
  /** The producer's batch number on this partition, from 0. */
  sequence: number;
  records: KafkaRecord[];
}

/** A control marker: ends `producerId`'s transaction on one partition, carrying the coordinator's new epoch. */
export interface TxnMarker {
  producerId: number;
  epoch: number;
  commit: boolean;
}

/** What `KafkaSide.append` takes: a data batch or a marker, before it has an offset. */
export type NewLogEntry = ({ kind: "data" } & TxnBatch) | ({ kind: "marker" } & TxnMarker);

/** A partition's answer to a batch, before the broker appends it [ProducerAppendInfo]. */
export type AppendDecision =
  | { kind: "append" }
  /** Already in the log (a retry): answered with the original offset, nothing appended. */
  | { kind: "duplicate"; baseOffset: number }
  | { kind: "fenced" }
  | { kind: "invalidTxnState" }
  | { kind: "outOfOrder"; expected: number };

/** The coordinator's replies: the wire reply less `noSuchTopic`, which the broker answers itself. */
export type CoordinatorReply<T extends "initProducerId" | "addPartitionsToTxn" | "endTxn"> = Exclude<
  ReplyOf[T],
  { kind: "noSuchTopic" }
>;

/** What the shared broker gives the Kafka side. */
export interface KafkaSide {
  readonly env: Env;
  /**
   * Partitions are numbered 0 .. partitionCount - 1: `payments` first (all of them in lab 03),
   * then lab 04's extra topics and its offsets partition (topics.ts). The coordinator and the
   * partition states see numbers only.
   */
  readonly partitionCount: number;
  /**
   * Appends a data batch or a control marker to a partition and resolves with its offset once it
   * is durable. The partition's `onAppended` has seen the entry by then (once the broker serves).
   * Waits for the partition's lock: never call it from `checkAppend` of the same partition.
   */
  append(partition: number, entry: NewLogEntry): Promise<number>;
  /** Up to `max` entries of the partition from `offset` on, in offset order, markers included. */
  read(partition: number, offset: number, max: number): Promise<LogEntry[]>;
  /** The partition's next offset (its log end). */
  highWatermark(partition: number): number;
  /**
   * The coordinator's durable state: one record per transactional id, each save one durable
   * append to `__transaction_state`, whole or absent after a crash or a power loss; `load` returns
   * the latest saved record of every id (saves of one id keep their call order).
   */
  readonly txnLog: {
    load(): Promise<Map<string, TxnRecord>>;
    save(transactionalId: string, record: TxnRecord): Promise<void>;
  };
}

/** The transaction coordinator, as the broker routes requests to it [TransactionCoordinator]. */
export interface Coordinator {
  initProducerId(request: InitProducerIdRequest): Promise<CoordinatorReply<"initProducerId">>;
  /** Partitions are checked by the broker first: every one names a partition of `payments`. */
  addPartitions(request: AddPartitionsToTxnRequest): Promise<CoordinatorReply<"addPartitionsToTxn">>;
  endTxn(request: EndTxnRequest): Promise<CoordinatorReply<"endTxn">>;
  /**
   * KIP-890's verification [AddPartitionsToTxn with verifyOnly]: true only if this producer's
   * transaction is Ongoing at exactly this epoch and includes the partition. Called by the
   * partition state, never by the broker.
   */
  verify(producerId: number, epoch: number, partition: number): Promise<boolean>;
}

/** An aborted transaction with data on a partition [AbortedTxn, in TransactionIndex]. */
export interface AbortedTxn {
  producerId: number;
  /** Offset of its first data batch on this partition. */
  firstOffset: number;
  /** Offset of its abort marker. */
  lastOffset: number;
}

/** One partition's transaction state [ProducerStateManager]. */
export interface PartitionState {
  /**
   * Called by `produceTxn` before appending a batch, with the partition locked: nothing else is
   * appended to it until the decision is applied. It must not wait for an append to this
   * partition (a marker through `side.append`): that append waits for the lock it holds.
   */
  checkAppend(batch: TxnBatch): Promise<AppendDecision>;
  /** Called with every entry of the partition in offset order: the replay at start, then each append. */
  onAppended(entry: LogEntry): void;
  /** The first offset of the earliest open transaction, or the high watermark if none (exclusive). */
  lastStableOffset(): number;
  /** The aborted transactions with data in [fromOffset, toOffset). */
  abortedIn(fromOffset: number, toOffset: number): AbortedTxn[];
}

/** A read_committed fetch: the ok reply of `fetch` [Partition.fetchRecords with READ_COMMITTED]. */
export type ReadCommitted = (
  kafka: KafkaSide,
  state: PartitionState,
  partition: number,
  offset: number,
  max: number,
) => Promise<Extract<FetchReply, { kind: "ok" }>>;

/** The plug-in, as `KafkaConfig.open` returns it. */
export interface KafkaTxnHooks {
  readonly coordinator: Coordinator;
  /** One per partition, index = partition number: exactly `partitionCount` of them. */
  readonly partitions: readonly PartitionState[];
  readonly readCommitted: ReadCommitted;
}

export interface KafkaConfig {
  /** How many partitions `payments` has. */
  partitions: number;
  /**
   * Lab 04: more topics (name -> partition count), numbered after `payments` in this order. They
   * are read and written as `payments` is: fetch, produceTxn, addPartitionsToTxn with `topic`.
   */
  topics?: Record<string, number>;
  /**
   * Lab 04: consumer groups and offsets in transactions (groups.ts). Adds the offsets partition
   * `__consumer_offsets` as the last partition number.
   */
  groups?: GroupsConfig;
  /**
   * Opens the plug-in: the coordinator loads `txnLog`, may append markers and start timers; the
   * partition states start empty (the broker replays the logs into them after this resolves).
   */
  open(side: KafkaSide): Promise<KafkaTxnHooks>;
}
