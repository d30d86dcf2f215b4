/**
 * Lab 04: what the lab gives you. Import it from your files as
 * `import { ... } from "#labs/04-idempotent-consumption/provided.ts"`.
 *
 * Brokers deliver at least once: a producer resends after a lost reply, a consumer crashes before
 * its offset is committed, a rebalance hands a queue to a new consumer while the old one is still
 * at work. You build a consumer whose effect happens exactly once all the same: the business key
 * (L4.A), the effect and its mark in one transaction (L4.B), a claim that holds under concurrent
 * redelivery (L4.C), a Redis lease and dedup window in front of the database (L4.D), the offset to
 * commit when messages finish out of order (L4.E), and Kafka's consume-transform-produce with
 * generation fencing (L4.F).
 *
 * This module holds what your files share: names and timings of the deployment, what a delivery
 * looks like, the effect (business logic you call, not write), and the contexts your functions
 * are handed.
 */
import type { Database, Env, Redis, Transaction } from "#lab";
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import type { KafkaRecord } from "#labs/shared/broker/protocol.ts";

export type { Database, Env, Redis, SetOptions, Transaction } from "#lab";
export {
  CommitOutcomeUnknown,
  ConnectionLost,
  DatabaseError,
  RedisError,
  RedisOutcomeUnknown,
  RedisUnavailable,
  TransactionAborted,
  TransactionConflict,
  UniqueViolation,
} from "#lab";
export type { BrokerClient } from "#labs/shared/broker/client.ts";
export type {
  GroupHeartbeatReply,
  JoinGroupReply,
  KafkaRecord,
  LogEntry,
  OffsetFetchReply,
  PartitionOffset,
  TxnOffsetCommitReply,
} from "#labs/shared/broker/protocol.ts";

/** The topic every order event is published to. */
export const TOPIC = "orders";
/** The consumer group of every consumer in L4.A to L4.E. */
export const GROUP = "billing";

/** The business database's tables. */
export const TABLES = {
  /** One row per business key claimed (L4.C's `claim` writes here, nowhere else). */
  inbox: "inbox",
  /** One row per application of an event (the effect writes it: evidence for the grader). */
  ledger: "ledger",
  /** One row per customer: the balance the effect updates. */
  balances: "balances",
} as const;

/** Timings of the simulated deployment, in milliseconds. Real defaults in brackets. */
export const TIMING = {
  /** A broker request's outcome is unknown after this long. */
  requestTimeoutMs: 40,
  /** An idle or unanswered queue is pulled again after this long [pullTimeDelayMillsWhenException]. */
  pullIdleMs: 5,
  /**
   * A pull that finds its queue empty is held by the broker this long at most, and answered as
   * soon as a message arrives (long polling) [BROKER_SUSPEND_MAX_TIME_MILLIS 15 s, in
   * DefaultMQPushConsumerImpl]. Shorter than `requestTimeoutMs`, so that a held pull's answer
   * comes before the consumer gives up on it.
   */
  pullHoldMs: 25,
  /** How often a consumer heartbeats and rebalances [heartbeatBrokerInterval 30 s, rebalance 20 s]. */
  heartbeatMs: 20,
  /** How often the runtime commits each queue's offset [persistConsumerOffsetInterval 5 s]. */
  commitIntervalMs: 50,
  /** A consumer not heard from for this long leaves the group (broker clock) [channel expiry 120 s]. */
  sessionMs: 100,
  /** A delivery answered `retryLater` comes back after this long [retry level 3: 10 s]. */
  retryDelayMs: 60,
  /** Handlers in flight per consumer [consumeThreadMax 20]. */
  maxInFlight: 6,
  /**
   * The longest gap between two deliveries of one operation the workloads produce (resends,
   * retries, rewinds). A dedup window shorter than this lets a late duplicate through.
   */
  redeliveryWindowMs: 1000,
  /** L4.D: how long a processing lease lasts; a handler normally takes 20 to 60 ms. */
  leaseMs: 100,
  /** L4.D: how long a done mark is kept; outlasts `redeliveryWindowMs`. */
  windowMs: 1500,
  /** L4.F: a transformer not heard from for this long is out of the group [session.timeout.ms 45 s]. */
  kafkaSessionMs: 120,
  /** L4.F: how often a transformer heartbeats its group [heartbeat.interval.ms 3 s]. */
  kafkaHeartbeatMs: 30,
  /** L4.F: lab 03's coordinator aborts a transaction open this long [transaction.timeout.ms 60 s]. */
  kafkaTransactionTimeoutMs: 300,
} as const;

// ---- What a delivery looks like --------------------------------------------------------------

/** What the producer publishes (the message's body, as JSON). `(orderId, step)` names the operation. */
export interface OrderEvent {
  orderId: string;
  /** The operation's number within its order, from 1: a charge, a refund, a charge again, shipping. */
  step: number;
  kind: "charge" | "refund" | "ship";
  customer: string;
  amountCents: number;
  /** The producer's clock when this copy was built: a resend has a new one. */
  sentAtMs: number;
}

/** One delivery of one message to one consumer, as the runtime hands it to your handler. */
export interface Delivery {
  /** The message's id [MessageExt.getMsgId]: a resend of the same event gets a new one. */
  messageId: string;
  queueId: number;
  queueOffset: number;
  /** The message's sharding key: the order id. */
  key: string;
  event: OrderEvent;
  /** How many times this message was handed out before [reconsumeTimes]. */
  reconsumeTimes: number;
}

/** A handler's answer [ConsumeConcurrentlyStatus: CONSUME_SUCCESS, RECONSUME_LATER]. */
export type Consumed = "done" | "retryLater";

// ---- The effect: business logic you call, not write --------------------------------------------

/** Who applied an event: the ledger row's key and the evidence it carries. */
export interface AppliedBy {
  /** Unique per application (the runtime makes it: node, incarnation, counter). */
  applicationId: string;
  consumerId: string;
  messageId: string;
}

/** A balance row (a type, not an interface, so that it is a JSON value the database stores). */
export type BalanceRow = {
  cents: number;
};

/** A ledger row: one application of one event. */
export type LedgerRow = {
  orderId: string;
  step: number;
  kind: OrderEvent["kind"];
  customer: string;
  amountCents: number;
  consumerId: string;
  messageId: string;
};

/**
 * The effect of one event, in `tx`: the customer's balance moves (a charge adds, a refund takes
 * away, shipping changes nothing) and one ledger row records this application. It is not
 * idempotent: applied twice, it charges twice. The workload opens every customer's balance row
 * before the first message, so the balance is always locked here before it is written.
 */
export async function applyOrderEvent(tx: Transaction, event: OrderEvent, by: AppliedBy): Promise<void> {
  const balance = await tx.getForUpdate<BalanceRow>(TABLES.balances, event.customer);
  if (balance === undefined) throw new Error(`no balance row for customer ${event.customer}: the workload opens them`);
  const delta = event.kind === "charge" ? event.amountCents : event.kind === "refund" ? -event.amountCents : 0;
  await tx.put(TABLES.balances, event.customer, { cents: balance.cents + delta });
  const row: LedgerRow = {
    orderId: event.orderId,
    step: event.step,
    kind: event.kind,
    customer: event.customer,
    amountCents: event.amountCents,
    consumerId: by.consumerId,
    messageId: by.messageId,
  };
  await tx.insert(TABLES.ledger, by.applicationId, row);
}

// ---- What your functions are handed ------------------------------------------------------------

/** What a handler is given: its process's env and database, and the other parts it may call. */
export interface HandlerContext {
  env: Env;
  db: Database;
  /** The consumer's id (its node id): the lease owner in L4.D. */
  consumerId: string;
  /** The business key of a delivery (L4.A's function, or the grader's stand-in). */
  businessKey(delivery: Delivery): string;
  /** Records the key in the inbox, in `tx` (L4.C's function, or the grader's stand-in). */
  claim(tx: Transaction, key: string): Promise<Claim>;
  /** Applies the delivery's effect in `tx` (`applyOrderEvent`, with who applied it filled in). */
  apply(tx: Transaction, delivery: Delivery): Promise<void>;
}

/** What `claim` says: this transaction is the first to claim the key, or it was claimed before. */
export type Claim = "first" | "seen";

/** L4.D's context: Redis, and the slow remote work the lease is there to protect. */
export interface WindowContext extends HandlerContext {
  redis: Redis;
  /** The expensive step before the effect: a call to the pricing service (10 to 30 ms). */
  quote(delivery: Delivery): Promise<number>;
  /** The database part of the work: the L4.B handler (yours, or the grader's stand-in). */
  handle(ctx: HandlerContext, delivery: Delivery): Promise<Consumed>;
}

/** The Redis key of a business key's processing lease (L4.D: the grader reads it). */
export function leaseKey(businessKey: string): string {
  return `lease:${businessKey}`;
}

/** The Redis key of a business key's done mark (L4.D). */
export function doneKey(businessKey: string): string {
  return `done:${businessKey}`;
}

/** One queue's in-flight offsets, as RocketMQ's ProcessQueue keeps them (L4.E). */
export interface OffsetTracker {
  /** The runtime pulled these messages and will hand them out (ascending, consecutive). */
  received(offsets: readonly number[]): void;
  /**
   * The handler of this offset answered "done". (A "retryLater" answer keeps it in flight: this
   * runtime hands it out again in place, where RocketMQ sends it to the retry topic.)
   */
  finished(offset: number): void;
  /**
   * The offset to commit now: the lowest offset received and not finished; if none is in flight,
   * one past the highest received; null if nothing was ever received.
   */
  committable(): number | null;
}

// ---- L4.F: consume-transform-produce on the broker's Kafka side ---------------------------------

/** L4.F: the topic transformers read, read_committed (3 partitions; the harness writes it). */
export const INPUT_TOPIC = "orders-in";
/** L4.F: the topic transformers write: each input record's output goes to the partition of the same number. */
export const OUTPUT_TOPIC = "payments";
/** L4.F: the consumer group every transformer joins. */
export const TRANSFORM_GROUP = "transformers";

/** L4.F: one record of `orders-in`, where it was read. */
export interface InputRecord {
  partition: number;
  offset: number;
  key: string;
  body: string;
}

/**
 * L4.F: the output of one input record (business logic you call, not write): a `payments` record
 * with the input's key, whose body names the input it came from (the grader reads that).
 */
export function paymentFor(input: InputRecord): KafkaRecord {
  return {
    key: input.key,
    body: JSON.stringify({ source: { partition: input.partition, offset: input.offset }, order: input.body }),
  };
}

/** L4.F: which input record a `payments` record came from (for graders), or null if its body says none. */
export function sourceOf(output: KafkaRecord): { partition: number; offset: number } | null {
  try {
    const parsed = JSON.parse(output.body) as { source?: { partition?: unknown; offset?: unknown } };
    const { partition, offset } = parsed.source ?? {};
    return typeof partition === "number" && typeof offset === "number" ? { partition, offset } : null;
  } catch {
    return null;
  }
}

/** What a transformer process is given (L4.F). */
export interface TransformerContext {
  env: Env;
  /**
   * The broker's Kafka side: initProducerId, addPartitionsToTxn, produceTxn, endTxn, fetch (with
   * `topic`), and the group's requests: joinGroup, groupHeartbeat, offsetFetch, addOffsetsToTxn,
   * txnOffsetCommit, offsetCommit (labs/shared/broker/protocol.ts says what each answers).
   * Requests time out after `TIMING.requestTimeoutMs`.
   */
  client: BrokerClient;
  /** This process's transactional id (`tx-<node id>`): one per instance, as KIP-447 has it. */
  transactionalId: string;
  /** The consumer group of every transformer (TRANSFORM_GROUP). */
  group: string;
}
