/**
 * The broker's wire protocol: every request a client may send, and its reply.
 *
 * The broker is a node in the simulated world. Clients (producers, consumers, the lab's checkers)
 * talk to it with `env.net.request`, so every call can be lost, delayed, duplicated, or time out
 * with an unknown outcome. Requests are plain data; replies are tagged unions.
 *
 * Modelled on RocketMQ's remoting commands (SEND_MESSAGE, PULL_MESSAGE, LOCK_BATCH_MQ,
 * UNLOCK_BATCH_MQ, UPDATE_CONSUMER_OFFSET, HEART_BEAT, GET_CONSUMER_LIST_BY_GROUP in
 * remoting/src/main/java/org/apache/rocketmq/remoting/protocol/RequestCode.java) and on Kafka's
 * idempotent produce (InitProducerId, then producer id + sequence per partition). Lab 03's Kafka
 * requests (initProducerId, addPartitionsToTxn, produceTxn, endTxn, fetch) follow Kafka's
 * transactional APIs of the same names, on one topic, `payments`.
 */

/** A message as stored and as pulled. */
export interface StoredMessage {
  topic: string;
  queueId: number;
  /** Position in its queue: dense, from 0. */
  queueOffset: number;
  /** The sharding key the producer routed by (an order key, a business id). */
  key: string;
  body: string;
  /** The producer's id and the message's sequence number in its (producer, queue) stream (-1: not idempotent). */
  producerId: string;
  sequence: number;
  /** Broker clock at append. */
  storedAtMs: number;
  /**
   * Named strings the message carries besides its key and body [MessageConst]: what the transaction
   * service writes on halves, real messages and op records. Empty for a message sent with `send`.
   */
  properties: Record<string, string>;
}

export type BrokerRequest =
  | { type: "route"; topic: string }
  | { type: "initProducer" }
  /**
   * Appends one message. With `sequence >= 0` the send is idempotent (see `SendReply`). With
   * `sequence < 0` (Kafka's NO_SEQUENCE, -1) it is not: the broker appends whatever arrives, so a
   * retry of a message that did land is stored twice, and retries can overtake later sends.
   */
  | { type: "send"; topic: string; queueId: number; key: string; body: string; producerId: string; sequence: number }
  /**
   * Up to `max` messages of a queue from `offset` on. With `waitMs`, a broker that holds pulls
   * (`pullHoldMaxMs`) answers an empty queue only when a message arrives or `waitMs` is over.
   */
  | { type: "pull"; topic: string; queueId: number; offset: number; max: number; waitMs?: number }
  | { type: "heartbeat"; group: string; consumerId: string }
  | { type: "members"; group: string }
  | { type: "lock"; group: string; topic: string; consumerId: string; queueIds: number[] }
  | { type: "unlock"; group: string; topic: string; consumerId: string; queueId: number }
  | { type: "queryOffset"; group: string; topic: string; queueId: number }
  | {
      type: "commitOffset";
      group: string;
      topic: string;
      queueId: number;
      consumerId: string;
      /** The next offset to consume: everything below it is processed. */
      offset: number;
      /** The fencing token of the lock under which the messages were processed. */
      token: number;
    }
  /**
   * Stores a half message of a transaction [SEND_MESSAGE with TRAN_MSG]: durable, invisible to
   * consumers until the transaction commits. Routed to the broker's transaction service, with the
   * sender as the producer that will answer checks.
   */
  | {
      type: "sendHalf";
      group: string;
      transactionId: string;
      /** The real message: where it goes and what it says once committed. */
      topic: string;
      queueId: number;
      key: string;
      body: string;
      /** The producer's clock when it sent the half: informative only, never for timing. */
      bornAtMs: number;
      /** No check before this long after the half was stored (0: the transaction timeout alone). */
      checkImmunityMs: number;
    }
  /** Ends a transaction [END_TRANSACTION]: from the producer itself, or as its answer to a check. */
  | {
      type: "endTransaction";
      group: string;
      transactionId: string;
      halfOffset: number;
      decision: "commit" | "rollback" | "unknown";
      /** True when this answers a `checkTransaction` [fromTransactionCheck]. */
      fromCheck: boolean;
    }
  /** A producer of `group` is alive [HEART_BEAT with producer data]; the sender is the producer. */
  | { type: "producerHeartbeat"; group: string }
  /**
   * Kafka [InitProducerId]: the transactional id's producer id and a new epoch, which fences every
   * older incarnation of the same id. Routed to the Kafka coordinator plug-in (`kafka/hooks.ts`).
   */
  | { type: "initProducerId"; transactionalId: string }
  /**
   * Kafka [AddPartitionsToTxn]: the partitions of `topic` (default `payments`) this transaction
   * will write to.
   */
  | {
      type: "addPartitionsToTxn";
      transactionalId: string;
      producerId: number;
      epoch: number;
      partitions: number[];
      topic?: string;
    }
  /**
   * Kafka [Produce, transactional]: one batch of records to one partition of `topic` (default
   * `payments`), appended whole or not at all. `sequence` numbers the producer's batches to this
   * partition, from 0.
   */
  | {
      type: "produceTxn";
      topic?: string;
      partition: number;
      producerId: number;
      epoch: number;
      sequence: number;
      records: KafkaRecord[];
    }
  /** Kafka [EndTxn]: commit (or abort) the producer's open transaction. */
  | { type: "endTxn"; transactionalId: string; producerId: number; epoch: number; commit: boolean }
  /**
   * Kafka [Fetch]: entries of one partition from `offset`. read_uncommitted returns the raw log,
   * markers included; read_committed returns what the partition's transaction state lets through.
   */
  | { type: "fetch"; topic?: string; partition: number; offset: number; max: number; isolation: Isolation }
  /**
   * Kafka [AddOffsetsToTxn] (lab 04): the transaction will commit offsets of `group`, so the
   * offsets partition (`__consumer_offsets`) joins it and gets its COMMIT or ABORT marker.
   */
  | { type: "addOffsetsToTxn"; transactionalId: string; producerId: number; epoch: number; group: string }
  /**
   * Kafka [JoinGroup + SyncGroup, folded into one] (lab 04): joins `group`, which consumes
   * `topic`. `memberId` "" asks for a new member id. Answers the current generation and this
   * member's partitions of `topic`.
   */
  | { type: "joinGroup"; group: string; topic: string; memberId: string }
  /** Kafka [Heartbeat] (lab 04): keeps the member in the group; says when it must rejoin. */
  | { type: "groupHeartbeat"; group: string; generation: number; memberId: string }
  /**
   * Kafka [OffsetFetch with require_stable, KIP-447] (lab 04): the group's committed offsets of
   * `partitions` of `topic`, or `unstable` while a transaction holds uncommitted offsets for one of them.
   */
  | { type: "offsetFetch"; group: string; topic: string; partitions: number[] }
  /**
   * Kafka [TxnOffsetCommit] (lab 04): offsets to commit with the producer's transaction, pending
   * until its COMMIT marker. Checked against the group's generation unless `generation` is -1 (the
   * pre-KIP-447 `sendOffsetsToTransaction(offsets, groupId)`, which sends none), and against the
   * producer's epoch as a produce is.
   */
  | {
      type: "txnOffsetCommit";
      group: string;
      generation: number;
      memberId: string;
      transactionalId: string;
      producerId: number;
      epoch: number;
      topic: string;
      offsets: PartitionOffset[];
    }
  /**
   * Kafka [OffsetCommit] (lab 04): offsets committed at once, outside any transaction. Checked
   * against the generation unless `generation` is -1.
   */
  | {
      type: "offsetCommit";
      group: string;
      generation: number;
      memberId: string;
      topic: string;
      offsets: PartitionOffset[];
    };

/** The next offset to consume of one partition: everything below it is done. */
export interface PartitionOffset {
  partition: number;
  offset: number;
}

export type SendHalfRequest = Extract<BrokerRequest, { type: "sendHalf" }>;
export type EndTransactionRequest = Extract<BrokerRequest, { type: "endTransaction" }>;
export type InitProducerIdRequest = Extract<BrokerRequest, { type: "initProducerId" }>;
export type AddPartitionsToTxnRequest = Extract<BrokerRequest, { type: "addPartitionsToTxn" }>;
export type ProduceTxnRequest = Extract<BrokerRequest, { type: "produceTxn" }>;
export type EndTxnRequest = Extract<BrokerRequest, { type: "endTxn" }>;
export type FetchRequest = Extract<BrokerRequest, { type: "fetch" }>;
export type TxnOffsetCommitRequest = Extract<BrokerRequest, { type: "txnOffsetCommit" }>;
export type OffsetCommitRequest = Extract<BrokerRequest, { type: "offsetCommit" }>;

export type RouteReply = { kind: "ok"; queueCount: number } | { kind: "noSuchTopic" };

export type InitProducerReply = { kind: "ok"; producerId: string };

export type SendReply =
  /** Appended and durable at `queueOffset`. */
  | { kind: "ok"; queueOffset: number }
  /** Already appended earlier (a retry of a message that did arrive): here is where. */
  | { kind: "duplicate"; queueOffset: number }
  /** A gap: the broker expected `expected` next from this producer on this queue. Resend in order. */
  | { kind: "outOfOrder"; expected: number }
  | { kind: "noSuchTopic" }
  /** The store failed; nothing was appended (safe to retry). */
  | { kind: "error"; message: string };

export type PullReply =
  | { kind: "ok"; messages: StoredMessage[]; nextOffset: number; maxOffset: number }
  | { kind: "noSuchTopic" }
  /** Below the queue's first retained offset. */
  | { kind: "offsetOutOfRange"; minOffset: number };

export type HeartbeatReply = { kind: "ok" };

export type MembersReply = { kind: "ok"; consumerIds: string[] };

/** A lock on one queue: held until `expiresAtMs` of the broker's clock unless renewed. */
export interface LockGrant {
  queueId: number;
  /** Goes up every time the queue changes owner, even across broker restarts. */
  token: number;
  /** How long the lease lasts from the moment the broker granted it, in milliseconds. */
  leaseMs: number;
}

/** Queues not in `granted` are held by someone else (or unknown). */
export type LockReply = { kind: "ok"; granted: LockGrant[] } | { kind: "noSuchTopic" };

export type UnlockReply = { kind: "ok" } | { kind: "notOwner" };

export type QueryOffsetReply = { kind: "ok"; offset: number } | { kind: "noSuchTopic" };

export type CommitOffsetReply =
  | { kind: "ok" }
  /** The token is older than the queue's current lock: another consumer owns it now. */
  | { kind: "fenced"; currentToken: number }
  | { kind: "noSuchTopic" };

export type SendHalfReply =
  /** Stored and durable at `halfOffset` (its offset in the half topic): the half's identity. */
  | { kind: "ok"; halfOffset: number }
  /** No such real topic or queue, or a system topic, or the broker runs no transaction service. */
  | { kind: "noSuchTopic" }
  /** The store failed: the half may or may not be stored. */
  | { kind: "error"; message: string };

/** A half's outcome as the transaction service records it. */
export type Resolution = "committed" | "rolledBack" | "setAside";

export type EndTransactionReply =
  /** This request decided the half (or, for "unknown", left it pending). */
  | { kind: "ok"; outcome: "committed" | "rolledBack" | "pending" }
  /** An earlier decision stands; this request changed nothing. */
  | { kind: "alreadyResolved"; outcome: Resolution }
  /** No half of this transaction and group at that offset. */
  | { kind: "noSuchHalf" }
  /** The broker runs no transaction service. */
  | { kind: "noSuchTopic" }
  | { kind: "error"; message: string };

export type ProducerHeartbeatReply = { kind: "ok" };

/**
 * Broker -> producer, one-way [CHECK_TRANSACTION_STATE]: "what came of this transaction?". The
 * answer, if any, is an `endTransaction` request with `fromCheck: true`.
 */
export interface CheckTransaction {
  type: "checkTransaction";
  group: string;
  transactionId: string;
  halfOffset: number;
  /** How many checks were sent for this half, this one included. */
  checkTimes: number;
}

/** One record of a Kafka batch. */
export interface KafkaRecord {
  key: string;
  body: string;
}

/** Which entries a Kafka fetch may return [IsolationLevel]. */
export type Isolation = "read_committed" | "read_uncommitted";

/**
 * One entry of a Kafka partition's log, at `offset` (dense, from 0): a batch of records, appended
 * whole, or a control marker that ends one producer's transaction on this partition
 * [ControlRecordType COMMIT / ABORT, written by WriteTxnMarkers]. A marker carries the epoch the
 * coordinator ended the transaction with.
 */
export type LogEntry =
  | { kind: "data"; offset: number; producerId: number; epoch: number; sequence: number; records: KafkaRecord[] }
  | { kind: "marker"; offset: number; producerId: number; epoch: number; commit: boolean };

/**
 * Every Kafka request below answers `noSuchTopic` when the broker runs no Kafka side, or when a
 * partition it names is not one of `payments`' (as an unknown topic or partition does).
 */
export type InitProducerIdReply =
  /** The id's producer id (the same one for ever) and an epoch higher than any it had before. */
  | { kind: "ok"; producerId: number; epoch: number }
  /** A previous transaction of this id is still being ended (its markers written): retry. */
  | { kind: "concurrentTransactions" }
  | { kind: "noSuchTopic" };

export type AddPartitionsToTxnReply =
  | { kind: "ok" }
  /** A newer epoch exists for this transactional id: this producer is a zombie. */
  | { kind: "fenced" }
  /** The previous transaction is still being ended: retry. */
  | { kind: "concurrentTransactions" }
  | { kind: "noSuchTopic" };

export type ProduceTxnReply =
  /** Appended and durable at `baseOffset`. */
  | { kind: "ok"; baseOffset: number }
  /** Already appended earlier (a retry of a batch that did arrive): here is where. */
  | { kind: "duplicate"; baseOffset: number }
  /** The batch's epoch is older than one this partition has seen from its producer. */
  | { kind: "fenced" }
  /** No transaction of this producer and epoch is open on this partition, and the coordinator knows of none. */
  | { kind: "invalidTxnState" }
  /** A gap: the partition expected batch `expected` next from this producer. */
  | { kind: "outOfOrder"; expected: number }
  | { kind: "noSuchTopic" }
  /** The store failed; nothing was acknowledged (the batch may be in the log). */
  | { kind: "error"; message: string };

export type EndTxnReply =
  /** Decided (PrepareCommit or PrepareAbort saved); the producer's next transaction uses `epoch`. */
  | { kind: "ok"; epoch: number }
  | { kind: "fenced" }
  /** No transaction to end, or a retry that asks for the opposite outcome of the one decided. */
  | { kind: "invalidTxnState" }
  | { kind: "concurrentTransactions" }
  | { kind: "noSuchTopic" };

export type FetchReply =
  | {
      kind: "ok";
      /** In offset order. read_committed: data entries only. */
      records: LogEntry[];
      /** Where the next fetch starts. */
      nextOffset: number;
      /** Offsets below it belong to decided transactions (or to none) [UnifiedLog.lastStableOffset]. */
      lastStableOffset: number;
      /** The partition's next offset: its log end. */
      highWatermark: number;
    }
  | { kind: "noSuchTopic" }
  /** `offset` is not a whole number >= 0. */
  | { kind: "offsetOutOfRange"; minOffset: number };

export type AddOffsetsToTxnReply = AddPartitionsToTxnReply;

export type JoinGroupReply =
  | {
      kind: "ok";
      generation: number;
      memberId: string;
      /** This member's partitions of the group's topic, ascending. */
      assignment: number[];
    }
  | { kind: "noSuchTopic" };

export type GroupHeartbeatReply =
  | { kind: "ok" }
  /** The group has a newer generation than the member's: rejoin [REBALANCE_IN_PROGRESS]. */
  | { kind: "rebalanceInProgress" }
  /** The member is not in the group (its session expired, or the broker restarted): rejoin with "". */
  | { kind: "unknownMember" }
  | { kind: "noSuchTopic" };

export type OffsetFetchReply =
  /** One per asked partition, in the asked order: the committed offset, or null if none. */
  | { kind: "ok"; offsets: (number | null)[] }
  /** A transaction holds uncommitted offsets for one of the partitions: ask again [UNSTABLE_OFFSET_COMMIT]. */
  | { kind: "unstable" }
  | { kind: "noSuchTopic" };

export type TxnOffsetCommitReply =
  /** Written to the offsets partition, pending until the transaction's marker. */
  | { kind: "ok" }
  /** The producer's epoch is older than one the offsets partition has seen. */
  | { kind: "fenced" }
  /** The generation is not the group's current one, or the member is not in it [ILLEGAL_GENERATION]. */
  | { kind: "illegalGeneration" }
  /** The transaction is not open at this epoch with the group's offsets added (addOffsetsToTxn). */
  | { kind: "invalidTxnState" }
  | { kind: "noSuchTopic" }
  /** The store failed; nothing was acknowledged. */
  | { kind: "error"; message: string };

export type OffsetCommitReply =
  | { kind: "ok" }
  | { kind: "illegalGeneration" }
  | { kind: "noSuchTopic" }
  | { kind: "error"; message: string };

/** The reply type for each request type. */
export interface ReplyOf {
  route: RouteReply;
  initProducer: InitProducerReply;
  send: SendReply;
  pull: PullReply;
  heartbeat: HeartbeatReply;
  members: MembersReply;
  lock: LockReply;
  unlock: UnlockReply;
  queryOffset: QueryOffsetReply;
  commitOffset: CommitOffsetReply;
  sendHalf: SendHalfReply;
  endTransaction: EndTransactionReply;
  producerHeartbeat: ProducerHeartbeatReply;
  initProducerId: InitProducerIdReply;
  addPartitionsToTxn: AddPartitionsToTxnReply;
  produceTxn: ProduceTxnReply;
  endTxn: EndTxnReply;
  fetch: FetchReply;
  addOffsetsToTxn: AddOffsetsToTxnReply;
  joinGroup: JoinGroupReply;
  groupHeartbeat: GroupHeartbeatReply;
  offsetFetch: OffsetFetchReply;
  txnOffsetCommit: TxnOffsetCommitReply;
  offsetCommit: OffsetCommitReply;
}
