/**
 * Transactional messages: what the broker provides to a transaction service plugged into it.
 *
 * RocketMQ's broker runs its transaction service in-process (TransactionalMessageServiceImpl,
 * EndTransactionProcessor, TransactionalMessageCheckService): halves live in the system topic
 * RMQ_SYS_TRANS_HALF_TOPIC, decisions in RMQ_SYS_TRANS_OP_HALF_TOPIC, halves that ran out of checks
 * in TRANS_CHECK_MAX_TIME_TOPIC, and the check service keeps its scan positions as consumer offsets
 * of the system group CID_RMQ_SYS_TRANS. This broker provides the same plumbing and leaves the
 * service itself to a plug-in (lab 03's learner writes it):
 *   - the three system topics, one queue each: pullable by anyone, closed to `send` (RocketMQ's
 *     NOT_ALLOWED_SEND_TOPIC_SET), written only by the service through `BrokerSide.store`;
 *   - a producer registry by heartbeat (ProducerManager), read with `liveProducers`;
 *   - a one-way check-back channel to a producer node (CHECK_TRANSACTION_STATE);
 *   - named `progress` counters persisted with the consumer offsets.
 * The broker routes `sendHalf` and `endTransaction` to the service, with the request's sender as
 * the producer id, and serves nothing until the service's `open` (its recovery) has resolved.
 */
import type { Env } from "#lab";
import { Membership } from "./membership.ts";
import type { OffsetStore } from "./offsets.ts";
import type {
  CheckTransaction,
  EndTransactionReply,
  EndTransactionRequest,
  SendHalfReply,
  SendHalfRequest,
} from "./protocol.ts";
import type { MessageStore } from "./store.ts";

/** Where halves are stored until they are decided [TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC]. */
export const HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC";
/** Where decisions (op records) are stored [TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC]. */
export const OP_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/** Where halves that ran out of checks are set aside [TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC]. */
export const SET_ASIDE_TOPIC = "TRANS_CHECK_MAX_TIME_TOPIC";
export const SYSTEM_TOPICS: readonly string[] = [HALF_TOPIC, OP_TOPIC, SET_ASIDE_TOPIC];
/** The group whose "offsets" hold the `progress` counters [MixAll.CID_SYS_RMQ_TRANS]. */
export const PROGRESS_GROUP = "CID_RMQ_SYS_TRANS";

/** What the broker gives the transaction service that runs inside it. */
export interface BrokerSide {
  readonly env: Env;
  /**
   * The broker's store, every topic including the system topics. `append` resolves once the
   * message is durable. The service's appends carry `producerId: ""` and `sequence: -1`, so that
   * the broker's idempotence table ignores them: exactly-once commits are the service's job.
   */
  readonly store: MessageStore;
  /** The node ids of `group`'s producers heard from within `producerSessionMs` (broker clock), sorted. */
  liveProducers(group: string): string[];
  /**
   * Sends a check-back to one producer node: one-way, so it may be lost or arrive twice. The
   * answer, if any, comes back later as an `endTransaction` request with `fromCheck: true`.
   */
  sendCheck(producer: string, check: CheckTransaction): void;
  /**
   * Named counters (whole numbers, 0 until set) that survive restarts, persisted with the consumer
   * offsets every `offsetPersistIntervalMs`. After a crash a counter holds the value it had at the
   * last persist: for a counter that only goes up, lower than or equal to its last value, never
   * higher; so a scan kept by one may repeat some work, never skip any.
   */
  readonly progress: { get(name: string): number; set(name: string, value: number): void };
}

/** The running service: the two requests the broker routes to it. */
export interface TransactionService {
  /** `producerId` is the request's sender, the node that will answer checks. */
  sendHalf(producerId: string, request: SendHalfRequest): Promise<SendHalfReply>;
  endTransaction(producerId: string, request: EndTransactionRequest): Promise<EndTransactionReply>;
}

export interface TransactionsConfig {
  /**
   * Opens the service: recovers whatever it keeps, starts its own timers (the check scan) on
   * `side.env.clock`, and resolves once it can serve. The broker serves no request before.
   */
  open(side: BrokerSide): Promise<TransactionService>;
  /** A producer not heard from for longer than this (broker clock) is not live. RocketMQ: 120 s. */
  producerSessionMs: number;
}

/** The broker's transaction plumbing, once the service is open. */
export interface Transactions {
  readonly service: TransactionService;
  readonly producers: Membership;
  isSystemTopic(topic: string): boolean;
}

/** Builds the broker side, opens the service on it, and returns both. */
export async function openTransactions(
  env: Env,
  config: TransactionsConfig,
  store: MessageStore,
  offsets: OffsetStore,
): Promise<Transactions> {
  const producers = new Membership(config.producerSessionMs);
  const side: BrokerSide = {
    env,
    store,
    liveProducers: (group) => producers.members(group, env.clock.now()),
    sendCheck: (producer, check) => env.net.send(producer, check),
    progress: {
      get: (name) => offsets.get(PROGRESS_GROUP, name, 0).offset,
      set: (name, value) => {
        if (!Number.isSafeInteger(value) || value < 0) {
          throw new RangeError(`progress '${name}' must be a whole number >= 0, not ${value}`);
        }
        offsets.commit(PROGRESS_GROUP, name, 0, value, 0);
      },
    },
  };
  const service = await config.open(side);
  return { service, producers, isSystemTopic: (topic) => SYSTEM_TOPICS.includes(topic) };
}
