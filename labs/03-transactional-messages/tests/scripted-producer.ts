/**
 * The scripted producer: a harness producer node that sends exactly the requests a scenario
 * scripts (one half, one end, a duplicate, a late contradicting end, a wrong transaction id,
 * silence), so that the broker-side parts (L3.A, L3.C, L3.D, L3.E) are graded on the learner's
 * service alone, with ground truth the checker knows. It never retries on its own.
 *
 * Every request is a recorded operation: `sendHalf` (ok with the half's offset; fail when the
 * broker refused it, so that nothing was stored; info when unanswered or the broker's store
 * failed) and `end` (ok with the broker's reply whatever it says; info when unanswered). An end
 * sent as a check's answer is recorded with `fromCheck: true` and the node that sent it.
 *
 * With `heartbeat`, the node tells the broker every TIMING.producerHeartbeatMs that it is a live
 * producer of GROUP; with `onCheck`, it hands every `checkTransaction` it receives to the scenario
 * (which answers with `end`, or not at all).
 */
import type { TestContext } from "#harness/grade/define.ts";
import type { InvokeOutcome, SimNode } from "#harness/sim/node.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { Env, RequestOutcome } from "#lab";
import { GROUP, TIMING, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type {
  CheckTransaction,
  EndTransactionReply,
  EndTransactionRequest,
  SendHalfReply,
} from "#labs/shared/broker/protocol.ts";
import type { ScriptedTx } from "./check-halves.ts";
import { BROKER } from "./deployment.ts";

export interface ScriptedNode {
  env: Env;
  client: BrokerClient;
}

export interface ScriptedOptions {
  heartbeat?: boolean;
  onCheck?: (node: string, check: CheckTransaction) => void;
}

export function addScriptedProducer(
  ctx: TestContext<unknown>,
  id: string,
  options: ScriptedOptions = {},
): SimNode<ScriptedNode> {
  return ctx.world.addNode<ScriptedNode>(id, (env) => {
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    if (options.heartbeat === true) {
      const beat = (): void => void client.call({ type: "producerHeartbeat", group: GROUP });
      beat();
      env.clock.setInterval(TIMING.producerHeartbeatMs, beat);
    }
    const onCheck = options.onCheck;
    if (onCheck !== undefined) {
      env.net.onMessage((_from, message) => {
        const check = message as CheckTransaction;
        if (check.type === "checkTransaction") onCheck(id, check);
      });
    }
    return { env, client };
  });
}

export interface SentHalf {
  op: Op;
  /** Where the broker stored it, if it said so. */
  halfOffset: number | null;
}

/** Sends one half, once, and records it. */
export async function sendHalf(
  ctx: TestContext<unknown>,
  node: SimNode<ScriptedNode>,
  half: ScriptedTx,
): Promise<SentHalf> {
  const op = ctx.history.invoke(node.id, "sendHalf", {
    tx: half.transactionId,
    queueId: half.queueId,
    key: half.key,
    body: half.body,
  });
  const outcome = await node.invoke((api) =>
    api.client.call({ type: "sendHalf", group: GROUP, topic: TOPIC, ...half }),
  );
  const answer = answered(ctx, op, outcome);
  if (answer === null) return { op, halfOffset: null };
  const reply: SendHalfReply = answer.reply;
  if (!isSendHalfReply(reply)) {
    // Not a reply the protocol has: recorded as it came, for the checker to name.
    ctx.history.complete(op, "info", { output: { malformed: reply }, note: "a reply the protocol does not have" });
    return { op, halfOffset: null };
  }
  if (reply.kind === "ok") {
    ctx.history.complete(op, "ok", { output: { halfOffset: reply.halfOffset } });
    return { op, halfOffset: reply.halfOffset };
  }
  // A store error leaves the half stored or not; a refusal stored nothing.
  ctx.history.complete(op, reply.kind === "error" ? "info" : "fail", { output: reply });
  return { op, halfOffset: null };
}

function isSendHalfReply(reply: unknown): reply is SendHalfReply {
  const r = reply as { kind?: unknown; halfOffset?: unknown; message?: unknown } | null;
  if (r === null || typeof r !== "object") return false;
  if (r.kind === "ok") return Number.isSafeInteger(r.halfOffset) && (r.halfOffset as number) >= 0;
  return r.kind === "noSuchTopic" || (r.kind === "error" && typeof r.message === "string");
}

/** An end request as a scenario scripts it (a check's answer is one with `fromCheck: true`). */
export type ScriptedEnd = Omit<EndTransactionRequest, "type" | "group"> & { group?: string };

export interface SentEnd {
  op: Op;
  reply: EndTransactionReply | null;
}

/** Sends one end request, once, and records it with the broker's reply. */
export async function sendEnd(
  ctx: TestContext<unknown>,
  node: SimNode<ScriptedNode>,
  end: ScriptedEnd,
): Promise<SentEnd> {
  const request: EndTransactionRequest = { type: "endTransaction", group: end.group ?? GROUP, ...end };
  const op = ctx.history.invoke(node.id, "end", {
    tx: end.transactionId,
    halfOffset: end.halfOffset,
    decision: end.decision,
    ...(end.fromCheck ? { fromCheck: true } : {}),
    ...(end.group !== undefined ? { group: end.group } : {}),
  });
  const answer = answered(ctx, op, await node.invoke((api) => api.client.call(request)));
  if (answer === null) return { op, reply: null };
  ctx.history.complete(op, "ok", { output: answer.reply });
  return { op, reply: answer.reply };
}

/**
 * The broker's reply to a call a producer node made; null once `op` is completed without one:
 * "fail" if the node was down (nothing was sent), "info" if no answer came (it may have landed).
 */
function answered<R>(
  ctx: TestContext<unknown>,
  op: Op,
  outcome: InvokeOutcome<RequestOutcome<R>>,
): { reply: R } | null {
  if (outcome.kind === "down") {
    ctx.history.complete(op, "fail", { note: "the producer node was down" });
    return null;
  }
  if (outcome.kind !== "ok" || outcome.value.kind !== "ok") {
    ctx.history.complete(op, "info", { note: "no answer from the broker" });
    return null;
  }
  return { reply: outcome.value.reply };
}
