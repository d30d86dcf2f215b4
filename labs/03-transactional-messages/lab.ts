/**
 * Lab 03's manifest: what the grader needs to know about this lab.
 *
 * Every part grades: `files` lists all seven learner files (docs/design/lab-03.md, section 9.1).
 */
import { defineLab } from "#harness/grade/define.ts";
import type { TransactionModule } from "./tests/api.ts";
import { partF } from "./tests/kafka.ts";
import { partA, partB, partC, partD, partE } from "./tests/parts.ts";

const FILES = [
  "half-store.ts",
  "producer.ts",
  "end-transaction.ts",
  "check-service.ts",
  "recovery.ts",
  "coordinator.ts",
  "partition-state.ts",
];

export default defineLab<TransactionModule>({
  id: "03",
  title: "Transactional messages",
  summary:
    "a message published if and only if its local transaction commits: half messages, exactly one outcome per half, check-backs, recovery, and Kafka's coordinator side by side",
  learnerDir: "src",
  files: FILES,
  entry: FILES,
  exports: [
    "storeHalf",
    "readHalf",
    "commitHalf",
    "rollbackHalf",
    "openTransactionalProducer",
    "endTransaction",
    "checkOnce",
    "recoverResolutions",
    "openCoordinator",
    "openPartitionState",
    "readCommitted",
  ],
  parts: [partA, partB, partC, partD, partE, partF],
  partFiles: {
    "L3.A": ["half-store.ts"],
    // B runs against the oracle service: the producer alone.
    "L3.B": ["producer.ts"],
    // C runs the learner's half store under its end handler.
    "L3.C": ["end-transaction.ts", "half-store.ts"],
    // D runs the learner's end handler and half store under its check service.
    "L3.D": ["check-service.ts", "end-transaction.ts", "half-store.ts"],
    // E runs the whole learner service: its recovery under the check service, the end handler, the half store.
    "L3.E": ["recovery.ts", "check-service.ts", "end-transaction.ts", "half-store.ts"],
    "L3.F": ["coordinator.ts", "partition-state.ts"],
  },
});
