/** Lab 01's manifest: what the grader needs to know about this lab. */
import { defineLab } from "#harness/grade/define.ts";
import type { LogModule } from "./tests/api.ts";
import { partA, partB, partC, partD, partE, partF, partG, partH } from "./tests/parts.ts";

/** The learner's files, in the order the guide has them written; together they are the implementation. */
const FILES = ["record.ts", "commit-log.ts", "consume-queue.ts", "flush.ts", "recovery.ts", "write-buffer.ts"];

export default defineLab<LogModule>({
  id: "01",
  title: "Log storage",
  summary:
    "a segmented commit log with consume queues: record format, group commit, crash recovery and retention, under power loss, torn writes, fsync errors and flipped bits",
  learnerDir: "src",
  files: FILES,
  // The log itself (provided.ts's openLogWith) is assembled from these files' exports.
  entry: FILES,
  exports: [
    "encodeRecord",
    "encodeEndMarker",
    "decodeRecord",
    "CommitLog",
    "ConsumeQueueStore",
    "GroupCommit",
    "AsyncFlusher",
    "recoverIfNeeded",
    "markCleanShutdown",
    "BufferedDisk",
  ],
  parts: [partA, partB, partC, partD, partE, partF, partG, partH],
  // What each part calls, with what the reference's files import; D to H open the whole log.
  partFiles: {
    "L1.A": ["record.ts"],
    "L1.B": ["commit-log.ts", "record.ts"],
    "L1.C": ["commit-log.ts", "consume-queue.ts", "record.ts"],
  },
});
