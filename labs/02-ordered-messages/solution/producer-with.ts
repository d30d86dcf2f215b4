/**
 * The producer, assembled from its parts (producer.ts explains the design; queue-stream.ts holds the
 * parts that matter). Each part is one decision, and a bug-zoo entry replaces exactly one:
 *   queueOf      which queue a message goes to: its key's, through selectQueue (routing.ts);
 *   openStream   one queue's stream: when a message is numbered, how many are in flight;
 *   deliver      one numbered message, retried until the broker has it.
 */
import type { Env } from "#lab";
import { type OrderedProducer, type ProducerOptions, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import {
  type Deliver,
  deliverUntilStored,
  openQueueStream,
  type ProducerLink,
  type QueueStream,
} from "./queue-stream.ts";
import { retryUntil } from "./retry.ts";
import { selectQueue } from "./routing.ts";

export interface ProducerParts {
  queueOf(key: string, body: string, queueCount: number): number;
  openStream(link: ProducerLink, queueId: number, deliver: Deliver): QueueStream;
  deliver: Deliver;
}

export const producerParts: ProducerParts = {
  queueOf: (key, _body, queueCount) => selectQueue(key, queueCount),
  openStream: openQueueStream,
  deliver: deliverUntilStored,
};

export async function openProducerWith(
  parts: ProducerParts,
  env: Env,
  options: ProducerOptions,
): Promise<OrderedProducer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const queueCount = await retryUntil(env, async () => {
    const route = await client.call({ type: "route", topic: TOPIC });
    return route.kind === "ok" && route.reply.kind === "ok" ? route.reply.queueCount : null;
  });
  const producerId = await retryUntil(env, async () => {
    const init = await client.call({ type: "initProducer" });
    return init.kind === "ok" ? init.reply.producerId : null;
  });
  const link: ProducerLink = { env, client, producerId };
  // Every piece of state lives here, in this producer: one process may open several.
  const streams = new Map<number, QueueStream>();
  return {
    send(key, body) {
      const queueId = parts.queueOf(key, body, queueCount);
      let stream = streams.get(queueId);
      if (stream === undefined) {
        stream = parts.openStream(link, queueId, parts.deliver);
        streams.set(queueId, stream);
      }
      return stream(key, body);
    },
  };
}
