/**
 * Lab 04's manifest: what the grader needs to know about this lab.
 */
import { defineLab } from "#harness/grade/define.ts";
import type { ConsumptionModule } from "./tests/api.ts";
import { partA, partB, partC, partD, partE, partF } from "./tests/parts.ts";

const FILES = ["business-key.ts", "handler.ts", "inbox.ts", "redis-window.ts", "offset-tracker.ts", "transformer.ts"];

export default defineLab<ConsumptionModule>({
  id: "04",
  title: "Idempotent consumption",
  summary:
    "at-least-once delivery, exactly-once effects: business keys, the inbox in the effect's transaction, races at READ COMMITTED, a Redis dedup window, offsets under concurrency, and Kafka's consume-transform-produce",
  learnerDir: "src",
  files: FILES,
  entry: FILES,
  exports: ["businessKey", "handle", "claim", "handleWithWindow", "openTracker", "runTransformer"],
  parts: [partA, partB, partC, partD, partE, partF],
  partFiles: {
    "L4.A": ["business-key.ts"],
    "L4.B": ["handler.ts"],
    // C runs the learner's claim under the learner's handler.
    "L4.C": ["inbox.ts", "handler.ts"],
    "L4.D": ["redis-window.ts"],
    "L4.E": ["offset-tracker.ts"],
    "L4.F": ["transformer.ts"],
  },
});
