/**
 * Lab 02, L2.B, a correct alternative: a pipelined idempotent producer, several messages of a queue
 * in flight at once, resent in rounds, with randomised back-off.
 *
 * Written from the stub's contract and the guide only. The guide's hint suggests one message in
 * flight per queue "if you want to keep it simple"; this producer takes the other road, the one
 * Kafka's client takes (up to five batches in flight per partition), to prove that the grader
 * accepts it. How it works, and why it is correct:
 *
 * - `send` numbers the message at once: the next sequence number of its queue's stream (the queue
 *   comes from selectQueue). The number never changes, however often the message is resent. Order
 *   of `send` calls = order of sequence numbers = the only order the broker will append in.
 * - Each queue has one pump. In each round it sends the first `IN_FLIGHT_MAX` unfinished messages
 *   of the queue at once, in sequence order, and waits for all their answers. `ok` and `duplicate`
 *   finish a message with its offset (`duplicate` means an earlier attempt landed). `maybe`,
 *   `outOfOrder` (an earlier message of the round was lost or overtaken), `error` (nothing appended)
 *   and `noSuchTopic` leave it for the next round.
 * - Why it terminates once the network heals: every message below the round's first unfinished one
 *   s is appended, so the broker expects at least s; if it expects exactly s, s is appended now,
 *   and if it expects more, s was already appended and comes back `duplicate`. Either way s
 *   finishes, and the next round starts higher. Why it never reorders or duplicates: the broker
 *   appends sequence s only right after s - 1, and only once.
 * - A round that finished nothing waits before the next: a random delay (env.rng) under a ceiling
 *   that doubles up to `BACKOFF_MAX_MS`, so that a partitioned broker is not hammered and many
 *   producers do not retry in lockstep. It never gives up.
 * - open: `route`, then `initProducer`, each retried with the same back-off until answered.
 */
import type { Env } from "#lab";
import type { OrderedProducer, ProducerOptions, Sent } from "#labs/02-ordered-messages/provided.ts";
import { TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { SendReply } from "#labs/shared/broker/protocol.ts";
import { selectQueue } from "./routing.ts";

/** Messages of one queue sent at once in a round (Kafka: max.in.flight.requests.per.connection 5). */
const IN_FLIGHT_MAX = 4;
/** The back-off ceiling starts here after a round that finished nothing, and doubles up to the max. */
const BACKOFF_MIN_MS = 2;
const BACKOFF_MAX_MS = 80;

interface Outgoing {
  key: string;
  body: string;
  sequence: number;
  resolve: (sent: Sent) => void;
}

/** One (producer, queue) stream: its next sequence number, what is unfinished, and its pump. */
interface Stream {
  queueId: number;
  nextSequence: number;
  /** Unfinished messages, in sequence order. */
  unfinished: Outgoing[];
  pumping: boolean;
}

export async function openProducer(env: Env, options: ProducerOptions): Promise<OrderedProducer> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const backoff = new Backoff(env);

  let queueCount: number | undefined;
  while (queueCount === undefined) {
    const outcome = await client.call({ type: "route", topic: TOPIC });
    if (outcome.kind === "ok" && outcome.reply.kind === "ok") queueCount = outcome.reply.queueCount;
    else await backoff.pause();
  }
  backoff.reset();
  let producerId: string | undefined;
  while (producerId === undefined) {
    const outcome = await client.call({ type: "initProducer" });
    if (outcome.kind === "ok") producerId = outcome.reply.producerId;
    else await backoff.pause();
  }
  const queues = queueCount;
  const id = producerId;
  env.log.info({ producerId: id, queueCount: queues }, "producer ready");

  const streams = new Map<number, Stream>();

  async function pump(stream: Stream): Promise<void> {
    const pacing = new Backoff(env);
    while (stream.unfinished.length > 0) {
      const round = stream.unfinished.slice(0, IN_FLIGHT_MAX);
      // Issued in sequence order, so on a well-behaved link the broker sees them in order.
      const replies = await Promise.all(
        round.map((message) =>
          client.call({
            type: "send",
            topic: TOPIC,
            queueId: stream.queueId,
            key: message.key,
            body: message.body,
            producerId: id,
            sequence: message.sequence,
          }),
        ),
      );
      let finished = 0;
      for (const [i, outcome] of replies.entries()) {
        const message = round[i];
        if (message === undefined || outcome.kind !== "ok") continue;
        const offset = storedAt(outcome.reply);
        if (offset === undefined) continue;
        stream.unfinished.splice(stream.unfinished.indexOf(message), 1);
        message.resolve({ queueId: stream.queueId, queueOffset: offset });
        finished++;
      }
      if (finished > 0) pacing.reset();
      else await pacing.pause();
    }
    stream.pumping = false;
  }

  return {
    send(key: string, body: string): Promise<Sent> {
      const queueId = selectQueue(key, queues);
      let stream = streams.get(queueId);
      if (stream === undefined) {
        stream = { queueId, nextSequence: 0, unfinished: [], pumping: false };
        streams.set(queueId, stream);
      }
      // The message's place in its stream is decided here, once, before any await.
      const sequence = stream.nextSequence++;
      const sent = new Promise<Sent>((resolve) => {
        stream.unfinished.push({ key, body, sequence, resolve });
      });
      if (!stream.pumping) {
        stream.pumping = true;
        void pump(stream);
      }
      return sent;
    },
  };
}

/** Where the message is, if the broker has it: `ok` and `duplicate` both say so. */
function storedAt(reply: SendReply): number | undefined {
  switch (reply.kind) {
    case "ok":
    case "duplicate":
      return reply.queueOffset;
    case "outOfOrder":
    case "error":
    case "noSuchTopic":
      return undefined;
  }
}

/** Randomised exponential back-off ("full jitter") on the node's own clock and randomness. */
class Backoff {
  private ceilingMs = BACKOFF_MIN_MS;

  constructor(private readonly env: Env) {}

  async pause(): Promise<void> {
    await this.env.clock.sleep(1 + this.env.rng.float() * this.ceilingMs);
    this.ceilingMs = Math.min(BACKOFF_MAX_MS, this.ceilingMs * 2);
  }

  reset(): void {
    this.ceilingMs = BACKOFF_MIN_MS;
  }
}
