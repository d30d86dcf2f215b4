/** Where each message body stands in the real queues: what the checkers count copies with. */
import type { StoredMessage } from "#labs/03-transactional-messages/provided.ts";

/** Every stored copy of each body, across all queues (queue by queue, in offset order). */
export function copiesByBody(queues: readonly (readonly StoredMessage[])[]): Map<string, StoredMessage[]> {
  const copies = new Map<string, StoredMessage[]>();
  for (const queue of queues)
    for (const message of queue) copies.set(message.body, [...(copies.get(message.body) ?? []), message]);
  return copies;
}
