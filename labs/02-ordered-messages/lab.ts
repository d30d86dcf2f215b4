/** Lab 02's manifest: what the grader needs to know about this lab. */
import { defineLab } from "#harness/grade/define.ts";
import type { OrderingModule } from "./tests/api.ts";
import { partA, partB, partC, partD, partE, partF } from "./tests/parts.ts";

const FILES = ["routing.ts", "producer.ts", "queue-worker.ts", "consumer.ts", "key-parallel.ts"];

export default defineLab<OrderingModule>({
  id: "02",
  title: "Ordered messages",
  summary:
    "per-key order end to end: routing, idempotent retries, orderly consumption, queue locks, fencing tokens, key-parallel throughput",
  learnerDir: "src",
  files: FILES,
  entry: FILES,
  exports: ["selectQueue", "openProducer", "runOrderlyQueue", "openConsumer", "runKeyParallelQueue"],
  parts: [partA, partB, partC, partD, partE, partF],
  // What each part calls: the producer routes with the learner's selectQueue, and the consumer
  // parts run the learner's orderly worker on every queue they lock.
  partFiles: {
    "L2.A": ["routing.ts"],
    "L2.B": ["producer.ts", "routing.ts"],
    "L2.C": ["queue-worker.ts"],
    "L2.D": ["consumer.ts", "queue-worker.ts"],
    "L2.E": ["consumer.ts", "queue-worker.ts"],
    "L2.F": ["key-parallel.ts"],
  },
});
