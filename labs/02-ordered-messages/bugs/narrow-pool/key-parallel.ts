/**
 * Bug zoo, lab 02: A POOL OF FOUR FOR SIXTEEN KEYS.
 *
 * The reference key-parallel worker with one part replaced: the processing of one message runs in
 * a pool of POOL slots per queue, as a thread pool sized to the machine's cores would. Each key
 * stays in order and nothing is lost. With every message at 10 ms it is about four times as fast as
 * one at a time, which is what the guide once asked. But while a slow key's message holds a slot,
 * the fast keys share the other three: sixteen keys that could run side by side wait in line.
 *
 * Why it is tempting: "one thread per core" is the usual advice for CPU-bound work, and a handler
 * looks like work. But a handler mostly waits (on a database, on a service), and the parallelism
 * that order allows is the number of keys, not of cores.
 *
 * What they do instead: RocketMQ's consumer runs 20 consume threads by default (consumeThreadMin),
 * whatever the cores; Confluent's parallel consumer defaults to a concurrency of 16 and is meant to
 * be raised to hundreds when the handler waits on I/O.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";

/** The bug: at most this many messages of a queue at once, fewer than its keys. */
const POOL = 4;

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  let busy = 0;
  const waiting: Array<() => void> = [];
  const processOne = async (s: QueueSession, message: StoredMessage, active: () => boolean) => {
    while (busy >= POOL) await new Promise<void>((resolve) => waiting.push(resolve));
    busy++;
    try {
      return await keyParallelParts.processOne(s, message, active);
    } finally {
      busy--;
      waiting.shift()?.();
    }
  };
  return runKeyParallelWith({ ...keyParallelParts, processOne }, session);
}
