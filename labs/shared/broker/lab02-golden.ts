/**
 * A golden test of lab 02's wire contract, shared by the broker's plug-in tests: every lab 02
 * request in one script, and the replies a broker without any plug-in gave before plug-ins
 * existed. A broker with a transaction service or a Kafka side must give the same replies.
 * (Not a test file itself: transactions.test.ts and kafka.test.ts run it.)
 */
import { expect } from "vitest";
import type { RequestOutcome } from "#lab";
import { defaultBrokerConfig } from "./broker.ts";
import type { BrokerClient } from "./client.ts";
import type { BrokerRequest } from "./protocol.ts";

function ok<T>(outcome: RequestOutcome<T>): T {
  if (outcome.kind !== "ok") throw new Error("request timed out");
  return outcome.reply;
}

/**
 * Every lab 02 request in one script, with its replies, on a broker whose config has the topic
 * `orders` with 2 queues and the default lock lease.
 */
export async function lab02Script(c: BrokerClient): Promise<unknown[]> {
  const replies: unknown[] = [];
  const call = async (request: BrokerRequest) => replies.push(ok(await c.call(request)));
  await call({ type: "route", topic: "orders" });
  await call({ type: "route", topic: "nope" });
  const { producerId } = ok(await c.call({ type: "initProducer" }));
  replies.push(producerId);
  const send = (sequence: number, queueId = 0, topic = "orders") =>
    call({ type: "send", topic, queueId, key: "k", body: `m${sequence}`, producerId, sequence });
  await send(0);
  await send(0);
  await send(2);
  await send(1);
  await send(0, 5);
  await call({ type: "pull", topic: "orders", queueId: 0, offset: 0, max: 10 });
  await call({ type: "pull", topic: "orders", queueId: 9, offset: 0, max: 10 });
  await call({ type: "heartbeat", group: "g", consumerId: "c1" });
  await call({ type: "members", group: "g" });
  await call({ type: "lock", group: "g", topic: "orders", consumerId: "c1", queueIds: [0, 7] });
  await call({ type: "lock", group: "g", topic: "nope", consumerId: "c1", queueIds: [0] });
  await call({
    type: "commitOffset",
    group: "g",
    topic: "orders",
    queueId: 0,
    consumerId: "c1",
    offset: 2,
    token: TOKEN,
  });
  await call({ type: "commitOffset", group: "g", topic: "orders", queueId: 0, consumerId: "c1", offset: 2, token: 1 });
  await call({ type: "commitOffset", group: "g", topic: "nope", queueId: 0, consumerId: "c1", offset: 2, token: 1 });
  await call({ type: "queryOffset", group: "g", topic: "orders", queueId: 0 });
  await call({ type: "queryOffset", group: "g", topic: "nope", queueId: 0 });
  await call({ type: "unlock", group: "g", topic: "orders", consumerId: "c2", queueId: 0 });
  await call({ type: "unlock", group: "g", topic: "orders", consumerId: "c1", queueId: 0 });
  return replies;
}

/** The first lock token of a broker's first epoch (its epoch in the high bits). */
const TOKEN = 2 ** 20 + 1;

export const lab02Replies = [
  { kind: "ok", queueCount: 2 },
  { kind: "noSuchTopic" },
  "p1.1",
  { kind: "ok", queueOffset: 0 },
  { kind: "duplicate", queueOffset: 0 },
  { kind: "outOfOrder", expected: 1 },
  { kind: "ok", queueOffset: 1 },
  { kind: "noSuchTopic" },
  {
    kind: "ok",
    messages: [0, 1].map((at) => ({
      topic: "orders",
      queueId: 0,
      queueOffset: at,
      key: "k",
      body: `m${at}`,
      producerId: "p1.1",
      sequence: at,
      storedAtMs: expect.any(Number),
      properties: {},
    })),
    nextOffset: 2,
    maxOffset: 2,
  },
  { kind: "noSuchTopic" },
  { kind: "ok" },
  { kind: "ok", consumerIds: ["c1"] },
  { kind: "ok", granted: [{ queueId: 0, token: TOKEN, leaseMs: defaultBrokerConfig.lockLeaseMs }] },
  { kind: "noSuchTopic" },
  { kind: "ok" },
  { kind: "fenced", currentToken: TOKEN },
  { kind: "noSuchTopic" },
  { kind: "ok", offset: 2 },
  { kind: "noSuchTopic" },
  { kind: "notOwner" },
  { kind: "ok" },
];
