/**
 * The shape of a lab 02 implementation, as the grader sees it: the exports of the learner's files.
 * Kept apart from the learner's files so that a broken learner file cannot break the grader's types;
 * the types the learner's functions return come from provided.ts, like everything shared.
 */
import type { Env } from "#lab";
import type {
  ConsumerOptions,
  OrderedProducer,
  OrderlyConsumer,
  ProducerOptions,
  QueueWorker,
} from "#labs/02-ordered-messages/provided.ts";

/** All five learner files' exports, merged. */
export interface OrderingModule {
  selectQueue(shardingKey: string, queueCount: number): number;
  openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer>;
  runOrderlyQueue: QueueWorker;
  openConsumer(env: Env, options: ConsumerOptions): Promise<OrderlyConsumer>;
  runKeyParallelQueue: QueueWorker;
}
