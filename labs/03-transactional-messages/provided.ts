/**
 * Lab 03: what the lab gives you. Import it from your files as
 * `import { ... } from "#labs/03-transactional-messages/provided.ts"`.
 *
 * You build both sides of RocketMQ's transactional messages: the producer that ties a message to
 * its local database transaction (L3.B), and the transaction service that runs inside the shared
 * broker (L3.A, L3.C, L3.D, L3.E): half messages, end requests, check-backs and recovery. Then
 * Kafka's way (L3.F): a coordinator with epochs and markers, and a partition's last stable offset.
 *
 * This module holds everything your files share: the names and timings of the deployment, the
 * types the broker hands your service, and `assembleService`, the wiring that turns your functions
 * into the running service (you do not write it; the grader uses it with your functions).
 */
import type { Transaction } from "#lab";
import { KeyedMutex } from "#labs/shared/broker/keyed-mutex.ts";
import type {
  EndTransactionReply,
  EndTransactionRequest,
  Resolution,
  SendHalfReply,
  SendHalfRequest,
} from "#labs/shared/broker/protocol.ts";
import type { BrokerSide, TransactionService } from "#labs/shared/broker/transactions.ts";

export type { Database, Transaction } from "#lab";
export {
  CommitOutcomeUnknown,
  ConnectionLost,
  DatabaseError,
  TransactionAborted,
  TransactionConflict,
  UniqueViolation,
} from "#lab";
export type { BrokerClient } from "#labs/shared/broker/client.ts";
export type {
  CheckTransaction,
  EndTransactionReply,
  EndTransactionRequest,
  PullReply,
  Resolution,
  SendHalfReply,
  SendHalfRequest,
  StoredMessage,
} from "#labs/shared/broker/protocol.ts";
export type { MessageStore, NewMessage } from "#labs/shared/broker/store.ts";
export type { BrokerSide, TransactionService } from "#labs/shared/broker/transactions.ts";
export { HALF_TOPIC, OP_TOPIC, SET_ASIDE_TOPIC } from "#labs/shared/broker/transactions.ts";

/** The real topic every part publishes to. */
export const TOPIC = "orders";
/** The producer group of every producer in this lab. */
export const GROUP = "order-service";

/** Timings of the simulated deployment, in milliseconds. RocketMQ's defaults in brackets. */
export const TIMING = {
  /** How long a request to the broker may take before its outcome is unknown. */
  requestTimeoutMs: 40,
  /** A half younger than this (broker clock, since it was stored) is never checked [transactionTimeOut 6 s]. */
  transactionTimeoutMs: 200,
  /** How often the check service scans the half queue [transactionCheckInterval 30 s]. */
  checkIntervalMs: 50,
  /** Checks per half before it is set aside [transactionCheckMax 15]. */
  checkMax: 15,
  /** How often a producer tells the broker it is alive [heartbeatBrokerInterval 30 s]. */
  producerHeartbeatMs: 30,
  /** A producer not heard from for this long is not live (broker clock) [channel expiry 120 s]. */
  producerSessionMs: 120,
  /** How often the broker persists its progress counters [flushConsumerOffsetInterval 5 s]. */
  progressPersistMs: 100,
  /** Kafka (L3.F): a transaction open longer than this is aborted by the coordinator [transaction.timeout.ms 60 s]. */
  kafkaTransactionTimeoutMs: 300,
  /** Kafka (L3.F): how often the coordinator looks for timed-out transactions [10 s]. */
  kafkaAbortScanMs: 50,
} as const;

// ---------------------------------------------------------------- message properties

// The property names your service writes on the messages it stores (`NewMessage.properties`),
// named after RocketMQ's MessageConst. Values are strings: write numbers with `String(n)`.

/** On a half: the real topic its message goes to once committed [REAL_TOPIC]. */
export const REAL_TOPIC = "REAL_TOPIC";
/** On a half: the real queue [REAL_QID]. */
export const REAL_QID = "REAL_QID";
/** On a half, and on the real message it becomes: the transaction id [TRAN_MSG, UNIQ_KEY]. */
export const TX_ID = "TX_ID";
/** On a half: the producer group [PGROUP]. */
export const PRODUCER_GROUP = "PRODUCER_GROUP";
/** On a half: the producer node that sent it, which a check may ask. */
export const PRODUCER_ID = "PRODUCER_ID";
/** On a half: the producer's clock when it sent the half. */
export const BORN_AT = "BORN_AT";
/** On a half: no check before this long after it was stored [CHECK_IMMUNITY_TIME_IN_SECONDS]. */
export const CHECK_IMMUNITY_MS = "CHECK_IMMUNITY_MS";
/** How many checks a half has had [TRANSACTION_CHECK_TIMES] (yours to use or not). */
export const CHECK_TIMES = "CHECK_TIMES";
/** On a real message, an op record and a set-aside: the offset of the half it comes from. */
export const HALF_OFFSET = "HALF_OFFSET";
/** On an op record: "commit" or "rollback". */
export const OUTCOME = "OUTCOME";
/** On a set-aside: why the half was set aside, in words. */
export const REASON = "REASON";

// ---------------------------------------------------------------- the producer side (L3.B)

/** A message a producer publishes in a transaction: its real topic and queue, its key, its body. */
export interface OutgoingMessage {
  topic: string;
  /** The queue of `topic` it goes to (the caller routes; lab 02 was about routing). */
  queueId: number;
  key: string;
  body: string;
  /** Optional: no check before this long after the half was stored [CHECK_IMMUNITY_TIME_IN_SECONDS]. */
  checkImmunityMs?: number;
}

/** The business work of one local transaction, provided by the workload: writes rows, or throws. */
export type LocalTransaction = (tx: Transaction) => Promise<void>;

/** Thrown by a LocalTransaction: the business refused (an order out of stock). Nothing committed. */
export class BusinessRejected extends Error {
  constructor(message = "the business refused the transaction") {
    super(message);
    this.name = "BusinessRejected";
  }
}

/** What a producer decided for one transaction, as it reports it to its caller. */
export type Decision = "commit" | "rollback" | "unknown";

export interface TransactionResult {
  transactionId: string;
  /** Where the broker stored the half. */
  halfOffset: number;
  /** What the producer's local transaction came to, as far as the producer knows. */
  decision: Decision;
}

/** sendInTransaction rejects with this when the half could not be stored: nothing happened. */
export class HalfNotStored extends Error {
  constructor(message = "the broker did not store the half") {
    super(message);
    this.name = "HalfNotStored";
  }
}

/** What openTransactionalProducer returns. Its contract is in src/producer.ts. */
export interface TransactionalProducer {
  sendInTransaction(message: OutgoingMessage, local: LocalTransaction): Promise<TransactionResult>;
}

export interface TransactionalProducerOptions {
  brokerId: string;
}

// ---------------------------------------------------------------- the broker side (L3.A, C, D, E)

/** A half message as stored: its place, its transaction, and the real message it stands for. */
export interface HalfMessage {
  /** Its queue offset in HALF_TOPIC, queue 0: the half's identity in every request. */
  halfOffset: number;
  transactionId: string;
  group: string;
  /** The producer node that sent it. */
  producerId: string;
  /** The real message: where it goes and what it says once committed. */
  topic: string;
  queueId: number;
  key: string;
  body: string;
  /** The producer's clock when it sent the half: informative only, never for timing. */
  bornAtMs: number;
  /** The broker's clock when the half was stored. */
  storedAtMs: number;
  /** No check before this long after storedAtMs (0: the transaction timeout alone). */
  checkImmunityMs: number;
}

/** Which halves are resolved, in memory: a small map, so that every part shares one shape. */
export class Resolutions {
  private readonly byOffset = new Map<number, Resolution>();

  get(halfOffset: number): Resolution | undefined {
    return this.byOffset.get(halfOffset);
  }

  set(halfOffset: number, resolution: Resolution): void {
    this.byOffset.set(halfOffset, resolution);
  }

  /** How many halves are resolved (for the broker's log). */
  get size(): number {
    return this.byOffset.size;
  }
}

/**
 * Locks by half offset, for your service's own use: `run(halfOffset, work)` runs the works given
 * for one half one after another, in call order, and works for different halves independently.
 * A work that throws releases the lock and rejects `run` with its error.
 */
export class HalfLocks extends KeyedMutex<number> {}

/** L3.A's four functions bound to one broker: what L3.C and L3.D call to touch halves. */
export interface HalfStore {
  store(producerId: string, request: SendHalfRequest): Promise<SendHalfReply>;
  read(halfOffset: number): Promise<HalfMessage | null>;
  commit(half: HalfMessage): Promise<void>;
  rollback(half: HalfMessage): Promise<void>;
}

/** What the learner's broker-side functions share: the broker, the index, the half store, locks. */
export interface ServiceContext {
  readonly broker: BrokerSide;
  readonly resolutions: Resolutions;
  readonly halves: HalfStore;
  readonly locks: HalfLocks;
}

export interface CheckReport {
  /** Halves a check was sent for in this scan. */
  checked: number[];
  /** Halves set aside in this scan, each with the reason the report gives. */
  setAside: { halfOffset: number; transactionId: string; reason: string }[];
  /** Halves due for a check but skipped because no producer of their group was live. */
  skippedOffline: number[];
}

/**
 * The broker-side functions, as `assembleService` takes them (your files' exports). A part's test
 * fills in stand-ins for the files it does not grade, so that each part grades only its own files.
 */
export interface ServiceParts {
  storeHalf(broker: BrokerSide, producerId: string, request: SendHalfRequest): Promise<SendHalfReply>;
  readHalf(broker: BrokerSide, halfOffset: number): Promise<HalfMessage | null>;
  commitHalf(broker: BrokerSide, half: HalfMessage): Promise<void>;
  rollbackHalf(broker: BrokerSide, half: HalfMessage): Promise<void>;
  endTransaction(service: ServiceContext, request: EndTransactionRequest): Promise<EndTransactionReply>;
  /** Absent in L3.A to L3.C: no check service runs. */
  checkOnce?(service: ServiceContext): Promise<CheckReport>;
  recoverResolutions(broker: BrokerSide): Promise<Resolutions>;
}

/**
 * Provided. Builds the service from its parts: recovers the index (`recoverResolutions`), routes
 * `sendHalf` to `storeHalf` and `endTransaction` to `endTransaction`, and runs `checkOnce` every
 * TIMING.checkIntervalMs of the broker's clock, never two scans at once. A scan that throws an
 * ordinary error is logged and the next scan runs as usual; a programming error (TypeError,
 * NotImplemented, ...) stops the run with an exception verdict.
 */
export async function assembleService(broker: BrokerSide, parts: ServiceParts): Promise<TransactionService> {
  const resolutions = await parts.recoverResolutions(broker);
  const halves: HalfStore = {
    store: (producerId, request) => parts.storeHalf(broker, producerId, request),
    read: (halfOffset) => parts.readHalf(broker, halfOffset),
    commit: (half) => parts.commitHalf(broker, half),
    rollback: (half) => parts.rollbackHalf(broker, half),
  };
  const service: ServiceContext = { broker, resolutions, halves, locks: new HalfLocks() };
  const checkOnce = parts.checkOnce;
  if (checkOnce !== undefined) {
    let scanning = false;
    broker.env.clock.setInterval(TIMING.checkIntervalMs, async () => {
      if (scanning) return;
      scanning = true;
      try {
        await checkOnce(service);
      } catch (error) {
        if (isProgrammingMistake(error)) throw error;
        broker.env.log.warn({ error: String(error) }, "a check scan failed; the next one runs as usual");
      } finally {
        scanning = false;
      }
    });
  }
  return {
    sendHalf: (producerId, request) => halves.store(producerId, request),
    endTransaction: (_producerId, request) => parts.endTransaction(service, request),
  };
}

/** The errors that are bugs, not failures: the grader stops the run on them. */
function isProgrammingMistake(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    (error instanceof Error && error.name === "NotImplemented")
  );
}

// ---------------------------------------------------------------- Kafka's side (L3.F)
// The shared broker's Kafka plug-in types (labs/shared/broker/kafka/hooks.ts), re-exported so that
// your L3.F files import one module, and `assembleKafka`, the wiring that turns your functions into
// the plug-in.

import type {
  Coordinator,
  KafkaSide,
  KafkaTxnHooks,
  PartitionState,
  ReadCommitted,
} from "#labs/shared/broker/kafka/hooks.ts";
import type { FetchReply } from "#labs/shared/broker/protocol.ts";

export type {
  AbortedTxn,
  AppendDecision,
  Coordinator,
  CoordinatorReply,
  KafkaRecord,
  KafkaSide,
  KafkaTxnHooks,
  LogEntry,
  NewLogEntry,
  PartitionState,
  ReadCommitted,
  TxnBatch,
  TxnMarker,
  TxnRecord,
  TxnState,
} from "#labs/shared/broker/kafka/hooks.ts";
export type {
  AddPartitionsToTxnRequest,
  EndTxnRequest,
  FetchReply,
  InitProducerIdRequest,
} from "#labs/shared/broker/protocol.ts";

/** What a read_committed fetch returns: the ok reply of `fetch`. */
export type FetchResult = Extract<FetchReply, { kind: "ok" }>;

/** The learner's three L3.F functions, as `assembleKafka` takes them. */
export interface KafkaParts {
  openCoordinator(kafka: KafkaSide): Promise<Coordinator>;
  openPartitionState(kafka: KafkaSide, partition: number, coordinator: Pick<Coordinator, "verify">): PartitionState;
  readCommitted: ReadCommitted;
}

/**
 * Provided. Builds the Kafka plug-in: opens the coordinator first (it finishes the transactions a
 * crash left half ended), then one partition state per partition (empty: the broker replays each
 * log into it before serving).
 */
export async function assembleKafka(side: KafkaSide, parts: KafkaParts): Promise<KafkaTxnHooks> {
  const coordinator = await parts.openCoordinator(side);
  const partitions: PartitionState[] = [];
  for (let partition = 0; partition < side.partitionCount; partition++) {
    partitions.push(parts.openPartitionState(side, partition, coordinator));
  }
  return { coordinator, partitions, readCommitted: parts.readCommitted };
}
