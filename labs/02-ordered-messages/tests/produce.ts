/**
 * The producing side of lab 02's workloads.
 *
 * `runLearnerProducers` (L2.B): one or two producer nodes running the learner's producer. Each
 * sends, in a fixed order, a few messages for each of its keys, several in flight at once, while
 * the fault plan loses, duplicates and delays requests, partitions producers from the broker, and
 * crashes producers and the broker. A producer that crashes comes back and sends the rest.
 *
 * `runHarnessProducer` (the consumer parts): the harness's own producer, correct by construction
 * (idempotent, one message in flight per queue), so that a consumer part grades only the consumer.
 */

import type { TestContext } from "#harness/grade/define.ts";
import { rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { hashString } from "#harness/sim/rng.ts";
import { recordCall } from "#harness/workloads/call.ts";
import type { Env } from "#lab";
import type { OrderedProducer } from "#labs/02-ordered-messages/provided.ts";
import { TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { OrderingModule } from "./api.ts";
import { BROKER, messageId } from "./deployment.ts";
import { type KeyStyle, keyName } from "./keys.ts";

export interface ProducerLoad {
  producers: number;
  /**
   * Producers each node opens (one process may open several): the node's keys are dealt out among
   * them. State kept outside the object `openProducer` returns is shared between them.
   */
  producersPerNode: number;
  keyStyle: KeyStyle;
  queueCount: number;
  keysPerProducer: number;
  messagesPerKey: number;
  /** Sends in flight at once, per producer. */
  window: number;
  /** Pause between two sends. */
  gapMs: number;
}

/** A message of a producer node, and which of the node's producers sends it. */
interface Outgoing {
  key: string;
  id: string;
  instance: number;
}

/** Each producer node's messages, in its send order: keys round-robin, each key's messages numbered. */
export function messagesOf(producer: string, load: ProducerLoad): Outgoing[] {
  const out: Outgoing[] = [];
  for (let n = 1; n <= load.messagesPerKey; n++) {
    for (let k = 1; k <= load.keysPerProducer; k++) {
      const key = keyName(load.keyStyle, k, `${producer}-`);
      out.push({ key, id: messageId(producer, key, n), instance: (k - 1) % load.producersPerNode });
    }
  }
  return out;
}

/** Starts the producer nodes and sends everything; resolves when every send has settled or `deadline`. */
export async function runLearnerProducers(
  ctx: TestContext<OrderingModule>,
  load: ProducerLoad,
  deadlineMs: () => number,
): Promise<void> {
  const { world } = ctx;
  const names = Array.from({ length: load.producers }, (_, i) => `p${i + 1}`);
  const nodes = names.map((name) =>
    world.addNode<OrderedProducer[]>(name, async (env) => {
      const producers: OrderedProducer[] = [];
      for (let i = 0; i < load.producersPerNode; i++)
        producers.push(await ctx.implFor(env).openProducer(env, { brokerId: BROKER }));
      return producers;
    }),
  );
  for (const node of nodes) {
    const started = await node.start();
    if (started.kind === "error") rethrowFrom(`openProducer on ${node.id}`, started.error);
  }
  const all: Array<Promise<void>> = [];
  await Promise.all(
    nodes.map(async (node) => {
      const inFlight = new Set<Promise<void>>();
      for (const message of messagesOf(node.id, load)) {
        await world.sleep(load.gapMs);
        // Sends that never complete must not keep the rest waiting past the deadline.
        while (inFlight.size >= load.window) {
          if (world.nowMs >= deadlineMs()) return;
          await Promise.race([...inFlight, world.sleep(deadlineMs() - world.nowMs)]);
        }
        while (!node.isUp) await world.sleep(1);
        const sent = sendOne(ctx, node, message);
        inFlight.add(sent);
        all.push(sent);
        void sent.then(() => inFlight.delete(sent));
      }
    }),
  );
  await Promise.race([Promise.all(all), world.sleep(Math.max(0, deadlineMs() - world.nowMs))]);
}

async function sendOne(
  ctx: TestContext<OrderingModule>,
  node: SimNode<OrderedProducer[]>,
  message: Outgoing,
): Promise<void> {
  const { key, id, instance } = message;
  // The contract: send() retries until the broker answers, and never gives up while its process
  // lives. A rejection's outcome is unknown (the message may have landed), hence "info"; the
  // checker then reports the rejection itself as "not live" (checkSendsCompleted).
  await recordCall(
    ctx.history,
    node,
    { client: node.id, f: "send", input: { key, id }, onError: "info" },
    (producers) => (producers[instance] as OrderedProducer).send(key, id),
  );
}

/** The harness's queue choice for its own producer (independent of the learner's L2.A). */
export function harnessQueueOf(key: string, queueCount: number): number {
  return hashString(key) % queueCount;
}

/**
 * The harness's producer, on node `p0`: idempotent, one message in flight per queue, retrying until
 * the broker answers. Records its sends like any producer's. Returns the node.
 */
export function addHarnessProducer(
  ctx: TestContext<OrderingModule>,
  messages: ReadonlyArray<{ key: string; id: string }>,
  queueCount: number,
  gapMs: number,
): SimNode<unknown> {
  const { world, history } = ctx;
  const remaining = [...messages];
  return world.addNode("p0", async (env: Env) => {
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    let producerId: string | null = null;
    while (producerId === null) {
      const init = await client.call({ type: "initProducer" });
      if (init.kind === "ok") producerId = init.reply.producerId;
    }
    const id = producerId;
    const sequences = new Map<number, number>();
    const tails = new Map<number, Promise<void>>();
    void (async () => {
      while (remaining.length > 0) {
        const message = remaining.shift() as { key: string; id: string };
        await env.clock.sleep(gapMs);
        const queueId = harnessQueueOf(message.key, queueCount);
        const sequence = sequences.get(queueId) ?? 0;
        sequences.set(queueId, sequence + 1);
        const op = history.invoke("p0", "send", message);
        const previous = tails.get(queueId) ?? Promise.resolve();
        tails.set(
          queueId,
          previous.then(async () => {
            for (;;) {
              const reply = await client.call({
                type: "send",
                topic: TOPIC,
                queueId,
                key: message.key,
                body: message.id,
                producerId: id,
                sequence,
              });
              if (reply.kind === "ok" && (reply.reply.kind === "ok" || reply.reply.kind === "duplicate")) {
                history.complete(op, "ok", { output: { queueId, queueOffset: reply.reply.queueOffset } });
                return;
              }
              await env.clock.sleep(5);
            }
          }),
        );
      }
    })();
  });
}
