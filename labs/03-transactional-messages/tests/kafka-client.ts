/**
 * The harness's Kafka transactional producer, written as Kafka's client behaves
 * (clients/.../producer/internals/TransactionManager.java), one node per incarnation:
 *   - initProducerId once, then transactions one after another: addPartitionsToTxn before the
 *     first record to a partition, one batch per record, sequences per partition from 0 under each
 *     epoch, retried with the same sequence while unanswered;
 *   - endTxn with the decision, retried while unanswered; its reply's epoch is the next
 *     transaction's (every transaction ends with a new epoch);
 *   - `fenced` anywhere is fatal: the producer stops (ProducerFencedException); an unanswered or
 *     refused batch aborts the transaction (an abortable error).
 *
 * Every request is a recorded operation, retries included in it (one op per logical request):
 * `init` {id}, `add` {id, txn, partitions, epoch}, `produce` {id, txn, partition, epoch,
 * sequence, key}, `end` {id, txn, commit, epoch}. ok carries the broker's reply; a refusal is
 * `fail` with the reply; a request never answered before the client gave up is `info`.
 *
 * Two hazards are scripted by the workload through the hooks: a pause of the node before one
 * record (the zombie), and one produce the client gives up on while the network holds it, to be
 * delivered later (the late produce).
 */
import type { TestContext } from "#harness/grade/define.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { Op } from "#harness/workloads/history.ts";
import type { Env } from "#lab";
import { TIMING } from "#labs/03-transactional-messages/provided.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { BrokerRequest, ReplyOf } from "#labs/shared/broker/protocol.ts";
import { BROKER } from "./deployment.ts";

/** How long the client keeps retrying one request before it gives up on it. */
export const GIVE_UP_AFTER_MS = 1_500;
/** Between two tries of an unanswered request. */
const RETRY_EVERY_MS = 15;

export interface KafkaNode {
  env: Env;
  client: BrokerClient;
}

export function addKafkaProducerNode(ctx: TestContext<unknown>, id: string): SimNode<KafkaNode> {
  return ctx.world.addNode<KafkaNode>(id, (env) => ({
    env,
    client: new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs),
  }));
}

/** One record of a scripted transaction. */
export interface ScriptedRecord {
  partition: number;
  key: string;
}

export interface ScriptedTxn {
  /** Its name in operations: "tx-a/3". */
  name: string;
  records: ScriptedRecord[];
  commit: boolean;
  /** Before it begins. */
  gapMs: number;
}

export interface ClientHooks {
  /** Runs before record `index` of `txn` is added or produced (the zombie's pause). */
  beforeRecord?(txn: ScriptedTxn, index: number): Promise<void>;
  /**
   * If it returns a delay for record `index` of `txn`, that produce is held by the network: the
   * client gives up on it after its timeout, aborts the transaction, and the request reaches the
   * broker the delay after it was sent. `delivered` is called with the broker's reply then.
   */
  holdProduce?(txn: ScriptedTxn, index: number): number | null;
  /** Runs before `txn`'s end request, once its records are written (the abandoned transaction's crash). */
  beforeEnd?(txn: ScriptedTxn): Promise<void>;
  /** Runs after `txn` ended, before the next one begins (the late produce's next transaction). */
  afterTxn?(txn: ScriptedTxn, session: Session): Promise<void>;
}

export interface Session {
  id: string;
  producerId: number;
  epoch: number;
  node: SimNode<KafkaNode>;
}

type Answer<T extends BrokerRequest["type"]> = { reply: ReplyOf[T] } | null;

/** Sends `request` from `node` until it is answered or GIVE_UP_AFTER_MS has passed (the probe uses it too). */
export async function call<T extends BrokerRequest>(
  ctx: TestContext<unknown>,
  node: SimNode<KafkaNode>,
  request: T,
  retry: (reply: ReplyOf[T["type"]]) => boolean = () => false,
): Promise<Answer<T["type"]>> {
  const deadline = ctx.world.nowMs + GIVE_UP_AFTER_MS;
  for (;;) {
    const outcome = await node.invoke((api) => api.client.call(request));
    if (outcome.kind === "ok" && outcome.value.kind === "ok") {
      const reply = outcome.value.reply as ReplyOf[T["type"]];
      if (!retry(reply) || ctx.world.nowMs >= deadline) return { reply };
    }
    if (ctx.world.nowMs >= deadline) return null;
    await ctx.world.sleep(RETRY_EVERY_MS);
  }
}

function finish(
  ctx: TestContext<unknown>,
  op: Op,
  answer: { reply: { kind: string } } | null,
  okKinds: string[],
): void {
  if (answer === null) ctx.history.complete(op, "info", { note: "no answer before the client gave up" });
  else ctx.history.complete(op, okKinds.includes(answer.reply.kind) ? "ok" : "fail", { output: answer.reply });
}

/** initProducerId for `id` from `node`: the session, or null if the broker never answered. */
export async function initSession(
  ctx: TestContext<unknown>,
  node: SimNode<KafkaNode>,
  id: string,
): Promise<Session | null> {
  const op = ctx.history.invoke(node.id, "init", { id });
  const answer = await call(
    ctx,
    node,
    { type: "initProducerId", transactionalId: id },
    (r) => r.kind === "concurrentTransactions",
  );
  finish(ctx, op, answer, ["ok"]);
  if (answer === null || answer.reply.kind !== "ok") return null;
  return { id, producerId: answer.reply.producerId, epoch: answer.reply.epoch, node };
}

type TxnEnd = "ended" | "fenced" | "stuck";

/** Runs one transaction; "fenced" and "stuck" (an end never answered) stop the producer. */
export async function runTxn(
  ctx: TestContext<unknown>,
  session: Session,
  txn: ScriptedTxn,
  hooks: ClientHooks = {},
): Promise<TxnEnd> {
  const { node, id } = session;
  const added = new Set<number>();
  const sequences = new Map<number, number>();
  let commit = txn.commit;
  for (const [index, record] of txn.records.entries()) {
    await hooks.beforeRecord?.(txn, index);
    if (!added.has(record.partition)) {
      const input = { id, txn: txn.name, partitions: [record.partition], epoch: session.epoch };
      const op = ctx.history.invoke(node.id, "add", input);
      const answer = await call(
        ctx,
        node,
        {
          type: "addPartitionsToTxn",
          transactionalId: id,
          producerId: session.producerId,
          epoch: session.epoch,
          partitions: [record.partition],
        },
        (r) => r.kind === "concurrentTransactions",
      );
      finish(ctx, op, answer, ["ok"]);
      if (answer?.reply.kind === "fenced") return "fenced";
      if (answer === null || answer.reply.kind !== "ok") {
        commit = false;
        break;
      }
      added.add(record.partition);
    }
    const sequence = sequences.get(record.partition) ?? 0;
    const request = {
      type: "produceTxn" as const,
      partition: record.partition,
      producerId: session.producerId,
      epoch: session.epoch,
      sequence,
      records: [{ key: record.key, body: txn.name }],
    };
    const input = { id, txn: txn.name, partition: record.partition, epoch: session.epoch, sequence, key: record.key };
    const op = ctx.history.invoke(node.id, "produce", input);
    const holdMs = hooks.holdProduce?.(txn, index) ?? null;
    if (holdMs !== null) {
      // The network holds the request; the client times out, gives up on it and aborts.
      void ctx.world.sleep(holdMs).then(async () => {
        ctx.history.nemesis(
          `the held produce of ${record.key} (${txn.name}, epoch ${session.epoch}) reaches the broker`,
        );
        const late = await node.invoke((api) => api.client.call(request));
        const said = late.kind === "ok" && late.value.kind === "ok" ? late.value.reply.kind : "no answer";
        ctx.history.nemesis(`the broker answered the held produce of ${record.key}: ${said}`);
      });
      await ctx.world.sleep(TIMING.requestTimeoutMs);
      ctx.history.complete(op, "info", { note: "the request was held by the network; the client gave up on it" });
      commit = false;
      break;
    }
    const answer = await call(ctx, node, request);
    finish(ctx, op, answer, ["ok", "duplicate"]);
    if (answer?.reply.kind === "fenced") return "fenced";
    if (answer === null || (answer.reply.kind !== "ok" && answer.reply.kind !== "duplicate")) {
      commit = false;
      break;
    }
    sequences.set(record.partition, sequence + 1);
  }
  if (added.size === 0) return "ended";
  await hooks.beforeEnd?.(txn);
  const op = ctx.history.invoke(node.id, "end", { id, txn: txn.name, commit, epoch: session.epoch });
  const answer = await call(
    ctx,
    node,
    { type: "endTxn", transactionalId: id, producerId: session.producerId, epoch: session.epoch, commit },
    (r) => r.kind === "concurrentTransactions",
  );
  finish(ctx, op, answer, ["ok"]);
  if (answer === null) return "stuck";
  if (answer.reply.kind !== "ok") return "fenced";
  session.epoch = answer.reply.epoch;
  await hooks.afterTxn?.(txn, session);
  return "ended";
}

/** A producer incarnation: init, then its transactions in order until one fences it. */
export async function runProducer(
  ctx: TestContext<unknown>,
  node: SimNode<KafkaNode>,
  id: string,
  txns: readonly ScriptedTxn[],
  hooks: ClientHooks = {},
): Promise<void> {
  const session = await initSession(ctx, node, id);
  if (session === null) return;
  for (const txn of txns) {
    await ctx.world.sleep(txn.gapMs);
    if ((await runTxn(ctx, session, txn, hooks)) !== "ended") return;
  }
}
