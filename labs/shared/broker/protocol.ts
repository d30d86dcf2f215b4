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
 * idempotent produce (InitProducerId, then producer id + sequence per partition).
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
  | { type: "pull"; topic: string; queueId: number; offset: number; max: number }
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
  | { type: "producerHeartbeat"; group: string };

export type SendHalfRequest = Extract<BrokerRequest, { type: "sendHalf" }>;
export type EndTransactionRequest = Extract<BrokerRequest, { type: "endTransaction" }>;

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
}
