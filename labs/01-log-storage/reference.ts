/**
 * Lab 01's reference log, assembled from the solution's parts: what lab 02's broker stores its
 * messages in (labs/shared/broker/log-store.ts) and what the benchmark runs on a real disk.
 *
 * The grader never uses this file: it assembles whatever implementation it grades the same way,
 * with provided.ts's `openLogWith`.
 */
import type { Env } from "#lab";
import { type LogConfig, type LogParts, type MessageLog, openLogWith } from "./provided.ts";
import { CommitLog } from "./solution/commit-log.ts";
import { ConsumeQueueStore } from "./solution/consume-queue.ts";
import { AsyncFlusher, GroupCommit } from "./solution/flush.ts";
import { markCleanShutdown, recoverIfNeeded } from "./solution/recovery.ts";
import { BufferedDisk } from "./solution/write-buffer.ts";

export const referenceParts: LogParts = {
  CommitLog,
  ConsumeQueueStore,
  GroupCommit,
  AsyncFlusher,
  recoverIfNeeded,
  markCleanShutdown,
  BufferedDisk,
};

/** Opens the reference log in `env`, recovering it if the last run did not close cleanly. */
export function openReferenceLog(env: Env, config: LogConfig): Promise<MessageLog> {
  return openLogWith(referenceParts, env, config);
}
