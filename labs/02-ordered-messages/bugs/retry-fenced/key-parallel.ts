/**
 * Bug zoo, lab 02: RETRYING A FENCED WRITE, in the key-parallel worker (see queue-worker.ts here).
 * The reference key-parallel worker with the same part replaced: one message, retried in place,
 * FencedError included.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";
import { retryEvenWhenFenced } from "./queue-worker.ts";

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith({ ...keyParallelParts, processOne: retryEvenWhenFenced }, session);
}
