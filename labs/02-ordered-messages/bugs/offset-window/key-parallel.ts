/**
 * Bug zoo, lab 02: A WINDOW OF OFFSETS.
 *
 * The reference key-parallel worker with its flow control replaced: it pulls more only while the
 * newest pulled offset is less than 64 past the oldest unfinished one (the commit point), instead
 * of counting the messages pulled and unfinished. Each key stays in order, nothing is lost, and
 * the commit point never passes an unfinished message. But one slow message at the head of the
 * queue pins the window: once the fast keys are 64 offsets ahead of it, no more is pulled, and
 * every fast key waits for a message it does not depend on.
 *
 * Why it is tempting: the commit point is already there, and "never run more than N offsets ahead
 * of what is committed" bounds what a crash makes the next owner redo. RocketMQ's push consumer
 * has this very check (consumeConcurrentlyMaxSpan, 2,000 offsets), for concurrent consumption,
 * where a stuck message stops its queue once the others are that far ahead.
 *
 * What the reference does instead: it bounds the number of messages pulled and not finished (64),
 * so a slow message holds one place, not the whole window; RocketMQ bounds a queue's cache by
 * count and size the same way (pullThresholdForQueue, pullThresholdSizeForQueue).
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

/** The bug: pull only while the newest offset is less than this far past the commit point. */
const OFFSET_WINDOW = 64;

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith(
    {
      ...keyParallelParts,
      mayPull: (progress, nextPull) => nextPull - progress.commitPoint(nextPull) < OFFSET_WINDOW,
    },
    session,
  );
}
