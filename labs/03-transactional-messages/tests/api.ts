/**
 * The shape of a lab 03 implementation, as the grader sees it: the exports of the learner's files.
 * Kept apart from the learner's files so that a broken learner file cannot break the grader's types;
 * the types the learner's functions take and return come from provided.ts, like everything shared.
 */
import type { Database, Env } from "#lab";
import type {
  Coordinator,
  FetchResult,
  KafkaSide,
  PartitionState,
  ServiceParts,
  TransactionalProducer,
  TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";

/** half-store.ts (L3.A). */
export type HalfStoreModule = Pick<ServiceParts, "storeHalf" | "readHalf" | "commitHalf" | "rollbackHalf">;

/** end-transaction.ts (L3.C). */
export type EndTransactionModule = Pick<ServiceParts, "endTransaction">;

/** check-service.ts (L3.D). */
export type CheckServiceModule = Required<Pick<ServiceParts, "checkOnce">>;

/** recovery.ts (L3.E). */
export type RecoveryModule = Pick<ServiceParts, "recoverResolutions">;

/** producer.ts (L3.B). */
export interface ProducerModule {
  openTransactionalProducer(
    env: Env,
    db: Database,
    options: TransactionalProducerOptions,
  ): Promise<TransactionalProducer>;
}

/** coordinator.ts and partition-state.ts (L3.F). */
export interface KafkaModule {
  openCoordinator(kafka: KafkaSide): Promise<Coordinator>;
  openPartitionState(kafka: KafkaSide, partition: number, coordinator: Pick<Coordinator, "verify">): PartitionState;
  readCommitted(
    kafka: KafkaSide,
    state: PartitionState,
    partition: number,
    offset: number,
    max: number,
  ): Promise<FetchResult>;
}

/** All seven learner files' exports, merged. */
export type TransactionModule = HalfStoreModule &
  EndTransactionModule &
  CheckServiceModule &
  RecoveryModule &
  ProducerModule &
  KafkaModule;
