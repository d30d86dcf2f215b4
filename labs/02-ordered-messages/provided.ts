/**
 * Lab 02: what the lab gives you. Import it from your files as
 * `import { ... } from "#labs/02-ordered-messages/provided.ts"`.
 *
 * You build the clients of an ordered topic: a producer that routes by key and retries without
 * reordering or duplicating, and an orderly consumer that holds queue locks, processes one message
 * at a time per queue (then one at a time per key), and stops when fenced. The broker is provided
 * (labs/shared/broker, documented in the guide), and so is the business logic your consumer runs
 * for each message: the `Handler`.
 */
import type { Env } from "#lab";
import type { BrokerClient } from "#labs/shared/broker/client.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";

export type { BrokerClient } from "#labs/shared/broker/client.ts";
export type {
  CommitOffsetReply,
  LockGrant,
  LockReply,
  PullReply,
  SendReply,
  StoredMessage,
} from "#labs/shared/broker/protocol.ts";

/** The topic every part uses. */
export const TOPIC = "orders";

/** Timings of the simulated deployment, in milliseconds. All clocks are the node's own. */
export const TIMING = {
  /** How long a request to the broker may take before its outcome is unknown. */
  requestTimeoutMs: 40,
  /** The broker's lock lease (RocketMQ: 60 s). */
  lockLeaseMs: 600,
  /** How often a consumer renews its locks and re-checks its assignment (RocketMQ: 20 s). */
  rebalanceIntervalMs: 100,
  /** Stop using a lock this long before its lease would end, to allow for clock drift. */
  lockSafetyMarginMs: 200,
  /** How often a consumer sends a heartbeat to stay in its group. */
  heartbeatIntervalMs: 50,
  /** A consumer silent this long leaves the group (broker side). */
  sessionMs: 300,
  /** How long to wait before pulling again from an empty queue. */
  pullIdleMs: 10,
  /** How long to suspend a queue after its handler failed (RocketMQ: 1 s). */
  suspendMs: 20,
  /** Most messages in one pull. */
  pullBatch: 16,
} as const;

/**
 * Thrown by a `Handler` when the downstream system refused the work because a newer lock holder
 * exists: this consumer's fencing token is stale. Stop processing the queue; do not retry.
 */
export class FencedError extends Error {
  constructor(
    readonly queueId: number,
    readonly token: number,
  ) {
    super(`queue ${queueId}: token ${token} is stale; another consumer holds the lock now`);
    this.name = "FencedError";
  }
}

/**
 * Thrown by a `Handler` when processing failed this time (the database was busy, a dependency
 * timed out). The message must be retried, in place: suspend the queue a moment, then try the same
 * message again. Never skip it, never let a later message of the queue overtake it.
 */
export class TransientFailure extends Error {
  constructor(readonly messageOffset: number) {
    super(`processing the message at offset ${messageOffset} failed this time; retry it`);
    this.name = "TransientFailure";
  }
}

/**
 * The business logic, provided by the lab: processes one message, under the fencing token of the
 * lock it was delivered under. Resolves when the message's effect is done; throws `FencedError` or
 * `TransientFailure`. Takes simulated time (it does real work).
 */
export type Handler = (message: StoredMessage, token: number) => Promise<void>;

/**
 * One locked queue, handed to a queue worker by the consumer that holds its lock (L2.C, L2.F).
 * The worker processes the queue until `isActive()` turns false, then returns.
 */
export interface QueueSession {
  readonly env: Env;
  readonly client: BrokerClient;
  readonly group: string;
  readonly consumerId: string;
  readonly queueId: number;
  /** The fencing token of the lock this session runs under. Pass it to the handler and to commits. */
  readonly token: number;
  readonly handler: Handler;
  /**
   * True while the worker may go on: the lock's lease is still valid by this node's clock (with the
   * safety margin) and nobody asked the worker to stop. Check it before each message.
   */
  isActive(): boolean;
}

/** A queue worker: processes one locked queue until its session ends. */
export type QueueWorker = (session: QueueSession) => Promise<void>;

/** Where the broker stored a message: the answer to a send. */
export interface Sent {
  queueId: number;
  queueOffset: number;
}

/** What `openProducer` returns. Its contract is in src/producer.ts. */
export interface OrderedProducer {
  /** Sends one message of `key` and resolves with where the broker stored it. */
  send(key: string, body: string): Promise<Sent>;
}

/** What `openConsumer` returns. Its contract is in src/consumer.ts. */
export interface OrderlyConsumer {
  /** Stops every worker, waits for the messages in flight, and unlocks the queues. */
  close(): Promise<void>;
}

export interface ConsumerOptions {
  group: string;
  brokerId: string;
  /** This consumer's id in its group: unique per process incarnation. */
  consumerId: string;
  handler: Handler;
  /** Runs each locked queue (your runOrderlyQueue for L2.D/E; your runKeyParallelQueue for L2.F). */
  worker: QueueWorker;
}

export interface ProducerOptions {
  brokerId: string;
}

/**
 * The queues a consumer should own: RocketMQ's AllocateMessageQueueAveragely. Every member computes
 * the same answer from the same sorted member list; `me` gets a contiguous range, the first
 * `queueCount % members` members one queue more. Returns [] if `me` is not a member.
 */
export function allocateAveragely(queueCount: number, members: readonly string[], me: string): number[] {
  const sorted = [...members].sort();
  const index = sorted.indexOf(me);
  if (index < 0 || sorted.length === 0) return [];
  const base = Math.floor(queueCount / sorted.length);
  const extra = queueCount % sorted.length;
  const count = base + (index < extra ? 1 : 0);
  const start = index * base + Math.min(index, extra);
  return Array.from({ length: count }, (_, i) => start + i);
}
