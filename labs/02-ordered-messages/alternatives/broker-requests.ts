/**
 * Lab 02's correct alternatives: the broker requests both of them make, shared so that each
 * alternative's files hold only what makes it different (its commit policy, its rounds).
 *
 * Written from provided.ts and the broker's protocol only, like the alternatives themselves. None
 * of these decides anything an alternative is graded on: they ask, and say what the answer was.
 * Only requests that change nothing (`route`, `queryOffset`) are repeated until answered; a commit
 * is one attempt and an unlock a few, and what to do with an unknown outcome is the caller's policy.
 */
import type { Env, RequestOutcome, Timer } from "#lab";
import { type ConsumerOptions, type QueueSession, TIMING, TOPIC } from "#labs/02-ordered-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { PullReply } from "#labs/shared/broker/protocol.ts";

/** A consumer's standing in its group: what both alternatives' consumers set up before their first round. */
export interface Member {
  client: BrokerClient;
  /** The topic's queue count, asked until the broker answered (a consumer cannot allocate without it). */
  queueCount: number;
  /** Heartbeats, sent every `heartbeatIntervalMs` without waiting for the answers; cancel at close. */
  heartbeats: Timer;
  /** A session on `queueId` under `token`, ending when `isActive` says so. */
  session(queueId: number, token: number, isActive: () => boolean): QueueSession;
  /** Unlocks `queueId`, up to `attemptsMax` attempts; false if none was answered. */
  unlock(queueId: number, attemptsMax: number): Promise<boolean>;
}

export async function joinGroup(env: Env, options: ConsumerOptions, routePauseMs: number): Promise<Member> {
  const client = new BrokerClient(env.net, options.brokerId, TIMING.requestTimeoutMs);
  const { group, consumerId, handler } = options;
  let queueCount: number | undefined;
  while (queueCount === undefined) {
    const outcome = await client.call({ type: "route", topic: TOPIC });
    if (outcome.kind === "ok" && outcome.reply.kind === "ok") queueCount = outcome.reply.queueCount;
    else await env.clock.sleep(routePauseMs);
  }
  const beat = (): void => void client.call({ type: "heartbeat", group, consumerId });
  beat();
  return {
    client,
    queueCount,
    heartbeats: env.clock.setInterval(TIMING.heartbeatIntervalMs, beat),
    session: (queueId, token, isActive) => ({ env, client, group, consumerId, handler, queueId, token, isActive }),
    async unlock(queueId, attemptsMax) {
      for (let attempt = 1; attempt <= attemptsMax; attempt++) {
        const outcome = await client.call({ type: "unlock", group, topic: TOPIC, consumerId, queueId });
        if (outcome.kind === "ok") return true;
      }
      return false;
    },
  };
}

/** Where the group left off on the session's queue; `undefined` once the session has ended unanswered. */
export async function startOffset(session: QueueSession, pauseMs: number): Promise<number | undefined> {
  const { group, queueId } = session;
  while (session.isActive()) {
    const outcome = await session.client.call({ type: "queryOffset", group, topic: TOPIC, queueId });
    if (outcome.kind === "ok" && outcome.reply.kind === "ok") return outcome.reply.offset;
    await session.env.clock.sleep(pauseMs);
  }
  return undefined;
}

/** One pull of up to `pullBatch` messages from `offset`. */
export function pullBatch(session: QueueSession, offset: number): Promise<RequestOutcome<PullReply>> {
  return session.client.call({ type: "pull", topic: TOPIC, queueId: session.queueId, offset, max: TIMING.pullBatch });
}

/** One commit of `offset` under the session's token: accepted, fenced (a newer owner), or unknown. */
export async function commitUpTo(session: QueueSession, offset: number): Promise<"ok" | "fenced" | "unknown"> {
  const { group, queueId, consumerId, token } = session;
  const outcome = await session.client.call({
    type: "commitOffset",
    group,
    topic: TOPIC,
    queueId,
    consumerId,
    token,
    offset,
  });
  if (outcome.kind !== "ok") return "unknown";
  if (outcome.reply.kind === "fenced") return "fenced";
  return outcome.reply.kind === "ok" ? "ok" : "unknown";
}
