/**
 * Bug zoo, lab 02: A SESSION'S END THAT LETS THE PULLED WINDOW DRAIN.
 *
 * The reference key-parallel worker, except that a message once pulled is processed to the end,
 * even after the session has ended: the pull loop stops when `isActive()` turns false, but every
 * message already scheduled on a key's chain still starts ("finish what we took, then return").
 * With up to BUFFER_LOW messages pulled ahead, that is dozens of handler calls after the queue was
 * taken away, while its next owner may already be working on the same keys, from the offset the
 * group committed: two consumers on one key, out of order.
 *
 * What the contract says instead: the messages *in flight* finish (a handler call cannot be
 * recalled), and nothing else starts. Confluent's parallel-consumer, on a partition revoked,
 * waits for the records in flight and drops the rest of its buffer; RocketMQ's ProcessQueue is
 * marked dropped and ConsumeRequest checks `isDropped()` before each message.
 */
import type { QueueSession } from "#labs/02-ordered-messages/provided.ts";
import { keyParallelParts, runKeyParallelWith } from "../../solution/key-parallel-with.ts";
import { processInPlace } from "../../solution/process-in-place.ts";

export function runKeyParallelQueue(session: QueueSession): Promise<void> {
  return runKeyParallelWith(
    {
      ...keyParallelParts,
      // The bug: the session is not asked again once the message was pulled.
      processOne: (s, message) => processInPlace(s, message, () => true),
    },
    session,
  );
}
