/**
 * The deployment of lab 03's real-database part (design §6), one per scenario, in real time:
 *
 *   producers p1, p2 (RealNodes: the learner's producer.ts, killable at exact steps)  --> broker
 *   broker (labs/shared/broker on a MemoryStore, with the oracle service; never crashes here)
 *   consumer c1  --pull orders every PULL_EVERY_MS-->  broker
 *   the business database: one RealDatabase (PGlite or PostgreSQL), reset before the scenario
 *
 * Everything the checker reads is what clients, the broker's real topic and the database showed:
 * the history of the producers' calls, the consumer's pulls, the oracle's record of the end
 * requests it received, and the database's committed rows. Commit times are the one thing a real
 * database does not give: the stage notes when each order's local transaction handed its work
 * back (the harness's own `local` returning), a moment before which that order cannot have been
 * committed, so a message stored earlier was certainly visible before its commit.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import type { Database, Env } from "#harness/lab-api.ts";
import type { RealDatabase } from "#harness/real/db.ts";
import { type KillPoint, type RealIncarnation, RealNode } from "#harness/real/incarnation.ts";
import { createKillableEnv, type KillableEnv } from "#harness/real/killable-env.ts";
import { RealNetwork } from "#harness/real/net.ts";
import { tearDown } from "#harness/real/teardown.ts";
import { errorText } from "#harness/workloads/call.ts";
import { History, type Op } from "#harness/workloads/history.ts";
import {
  BusinessRejected,
  HalfNotStored,
  type LocalTransaction,
  TIMING,
  TOPIC,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from "#labs/03-transactional-messages/provided.ts";
import { defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { StoredMessage } from "#labs/shared/broker/protocol.ts";
import { MemoryStore } from "#labs/shared/broker/store.ts";
import type { BrokerSide } from "#labs/shared/broker/transactions.ts";
import { checkProduce, type ProducedTx } from "./check-produce.ts";
import { BROKER, CONSUMER, PULL_EVERY_MS } from "./deployment.ts";
import { newOracleRecord, type OracleRecord, oracleService } from "./oracle-service.ts";

/** What the real part needs of an implementation: a new copy of its modules per process. */
export interface ProducerImpl {
  fresh(): {
    openTransactionalProducer(
      env: Env,
      db: Database,
      options: TransactionalProducerOptions,
    ): Promise<TransactionalProducer>;
  };
}

const QUEUES = 2;

/** A producer process: its incarnation and, once opened, its producer. */
export interface Running {
  inc: RealIncarnation;
  producer: TransactionalProducer | null;
}

export interface TxOptions {
  /** The business refuses it: `local` throws BusinessRejected after its write. */
  rejects?: boolean;
  /** Holds the local transaction open after its write, until this resolves. */
  hold?: () => Promise<void>;
}

export class Stage {
  readonly network = new RealNetwork();
  readonly record: OracleRecord = newOracleRecord();
  readonly history: History;
  readonly txs: ProducedTx[] = [];
  /** Each check the broker sent: when (wall clock), to whom, for which half. */
  readonly checks: Array<{ atMs: number; target: string; halfOffset: number }> = [];
  /** The wall-clock moment of the last kill or restart (the scenario's faults "heal" there). */
  lastFaultAtMs: number;
  private readonly startedAtMs = Date.now();
  private readonly notCommittedBefore = new Map<string, number>();
  private readonly received: StoredMessage[][] = Array.from({ length: QUEUES }, () => []);
  private readonly nodes = new Map<string, RealNode>();
  private readonly helpers: KillableEnv[] = [];
  private closed = false;

  private constructor(
    private readonly db: RealDatabase,
    private readonly impl: ProducerImpl,
    private readonly dir: string,
  ) {
    this.history = new History(() => Date.now() - this.startedAtMs);
    this.lastFaultAtMs = this.startedAtMs;
  }

  /** Resets the database, then starts the broker and the consumer. */
  static async open(db: RealDatabase, impl: ProducerImpl): Promise<Stage> {
    await db.reset();
    const stage = new Stage(db, impl, await mkdtemp(path.join(tmpdir(), "lab03-real-")));
    await stage.startBroker();
    stage.startConsumer();
    return stage;
  }

  /** Milliseconds since the stage opened. */
  get elapsedMs(): number {
    return Date.now() - this.startedAtMs;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private helperEnv(nodeId: string): KillableEnv {
    const killable = createKillableEnv({ nodeId, incarnation: 1, dataDir: this.dir, network: this.network });
    this.helpers.push(killable);
    return killable;
  }

  private async startBroker(): Promise<void> {
    const { env } = this.helperEnv(BROKER);
    const open = oracleService(this.record);
    await openBroker(
      env,
      {
        ...defaultBrokerConfig,
        topics: { [TOPIC]: QUEUES },
        offsetPersistIntervalMs: TIMING.progressPersistMs,
        transactions: {
          producerSessionMs: TIMING.producerSessionMs,
          open: (side) => {
            const observed: BrokerSide = {
              ...side,
              sendCheck: (target, check) => {
                this.checks.push({ atMs: Date.now(), target, halfOffset: check.halfOffset });
                side.sendCheck(target, check);
              },
            };
            return open(observed);
          },
        },
      },
      new MemoryStore(),
    );
  }

  /** The harness consumer: pulls every queue of TOPIC from offset 0, as tests/deployment.ts's does. */
  private startConsumer(): void {
    const { env } = this.helperEnv(CONSUMER);
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    const busy = Array.from({ length: QUEUES }, () => false);
    env.clock.setInterval(PULL_EVERY_MS, () => {
      for (let queueId = 0; queueId < QUEUES; queueId++) {
        if (busy[queueId]) continue;
        busy[queueId] = true;
        void this.pull(client, queueId).finally(() => {
          busy[queueId] = false;
        });
      }
    });
  }

  private async pull(client: BrokerClient, queueId: number): Promise<boolean> {
    const got = this.received[queueId] as StoredMessage[];
    const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset: got.length, max: 32 });
    if (pulled.kind !== "ok" || pulled.reply.kind !== "ok") return false;
    for (const message of pulled.reply.messages) {
      if (message.queueOffset !== got.length) continue;
      got.push(message);
      const op = this.history.invoke(CONSUMER, "receive", {
        queueId,
        queueOffset: message.queueOffset,
        body: message.body,
      });
      this.history.complete(op, "ok");
    }
    return pulled.reply.messages.length === 0;
  }

  node(nodeId: string): RealNode {
    let node = this.nodes.get(nodeId);
    if (node === undefined) {
      node = new RealNode({ nodeId, network: this.network, dataDir: this.dir, database: this.db });
      this.nodes.set(nodeId, node);
    }
    return node;
  }

  /**
   * Starts a new incarnation of `nodeId` and opens its producer (recorded as a call). With
   * `killAfterOpen`, the process dies the moment its producer is open, before anything else.
   */
  async startProducer(nodeId: string, options: { killAt?: KillPoint; killAfterOpen?: boolean } = {}): Promise<Running> {
    if (this.closed) throw new StageClosed();
    const node = this.node(nodeId);
    const inc = node.start(options.killAt === undefined ? {} : { killAt: options.killAt });
    if (inc.number > 1) this.lastFaultAtMs = Date.now();
    const op = this.history.invoke(nodeId, "openTransactionalProducer", { incarnation: inc.number });
    const outcome = await inc.call(() => {
      const opening = this.impl.fresh().openTransactionalProducer(inc.env, inc.db, { brokerId: BROKER });
      return options.killAfterOpen === true ? inc.killAfter(opening) : opening;
    });
    if (outcome.kind === "ok") {
      this.history.complete(op, "ok");
      return { inc, producer: outcome.value };
    }
    if (outcome.kind === "error") {
      this.history.complete(op, "info", { threw: errorText(outcome.error) });
      throw outcome.error;
    }
    this.history.complete(op, outcome.kind === "down" ? "fail" : "info", {
      note: `the process ${outcome.kind === "down" ? "was down" : "was killed"}`,
    });
    return { inc, producer: null };
  }

  /** Kills a producer process now (its connection, timers and network place go with it). */
  kill(nodeId: string): void {
    this.node(nodeId).kill();
    this.lastFaultAtMs = Date.now();
  }

  /**
   * Runs the next transaction of `running`'s node (`p1#3` publishes to queue 2 % QUEUES, its local
   * transaction puts `orders/o-p1-3`), recorded as L3.B's workload records it.
   */
  async transaction(running: Running, options: TxOptions = {}): Promise<Op> {
    const producerId = running.inc.env.nodeId;
    const n = this.txs.filter((t) => t.producer === producerId).length + 1;
    const tx: ProducedTx = { id: `${producerId}#${n}`, orderId: `o-${producerId}-${n}`, producer: producerId };
    this.txs.push(tx);
    const local: LocalTransaction = async (t) => {
      await t.put("orders", tx.orderId, { tx: tx.id });
      if (options.hold !== undefined) await options.hold();
      this.notCommittedBefore.set(tx.orderId, Date.now());
      if (options.rejects === true) throw new BusinessRejected(`order ${tx.orderId} is out of stock`);
    };
    const message = { topic: TOPIC, queueId: (n - 1) % QUEUES, key: tx.orderId, body: tx.id };
    const op = this.history.invoke(producerId, "sendInTransaction", { id: tx.id, order: tx.orderId });
    const { producer } = running;
    const outcome =
      producer === null || !running.inc.alive
        ? ({ kind: "down" } as const)
        : await running.inc.call(() => producer.sendInTransaction(message, local));
    switch (outcome.kind) {
      case "ok":
        this.history.complete(op, "ok", {
          output: { decision: outcome.value.decision, halfOffset: outcome.value.halfOffset },
        });
        break;
      case "error":
        if (outcome.error instanceof HalfNotStored)
          this.history.complete(op, "ok", { output: { rejected: "HalfNotStored" }, note: errorText(outcome.error) });
        else this.history.complete(op, "info", { threw: errorText(outcome.error) });
        break;
      case "down":
        this.history.complete(op, "fail", { note: "the process was down" });
        break;
      case "crashed":
        this.history.complete(op, "info", { note: "the process was killed before answering" });
        break;
    }
    return op;
  }

  /** Resolves once some check for the half of transaction `txId` has been sent. */
  async checkSentFor(txId: string, pollMs = 5): Promise<void> {
    for (;;) {
      const halves = [...this.record.halves].filter(([, h]) => h.request.body === txId).map(([offset]) => offset);
      if (this.checks.some((c) => halves.includes(c.halfOffset))) return;
      if (this.closed) return new Promise<void>(() => {});
      await sleep(pollMs);
    }
  }

  /** Resolves once a check's answer about transaction `txId` has reached the broker. */
  async checkAnsweredFor(txId: string, pollMs = 5): Promise<void> {
    for (;;) {
      const halves = [...this.record.halves].filter(([, h]) => h.request.body === txId).map(([offset]) => offset);
      if (this.record.ends.some((e) => e.request.fromCheck && halves.includes(e.request.halfOffset))) return;
      if (this.closed) return new Promise<void>(() => {});
      await sleep(pollMs);
    }
  }

  /** Every call answered and every half resolved. */
  get settled(): boolean {
    const halvesDone = [...this.record.halves.keys()].every((offset) => this.record.resolved.has(offset));
    return halvesDone && this.history.pending().length === 0;
  }

  /** The operations still pending, in words. */
  pendingOps(): Op[] {
    return this.history.pending();
  }

  /** Reads the queues to their ends, then checks everything with L3.B's checker. */
  async check(): Promise<Anomaly[]> {
    const { env } = this.helperEnv("auditor");
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      for (let tries = 0; tries < 50 && !(await this.pull(client, queueId)); tries++);
    }
    const [history, orders] = await Promise.all([this.db.history(), this.db.rows("orders")]);
    const committed = new Map(orders.map((r) => [r.key, r.row]));
    const db = {
      history: () =>
        history.map((t) => ({
          writes: t.writes,
          endedAtMs: Math.max(
            Number.NEGATIVE_INFINITY,
            ...t.writes.filter((w) => w.table === "orders").map((w) => this.notCommittedBefore.get(w.key) ?? 0),
          ),
        })),
      row: (table: string, key: string) => (table === "orders" ? committed.get(key) : undefined),
    };
    return checkProduce({
      txs: this.txs,
      ops: this.history.ops,
      queues: this.received,
      record: this.record,
      db,
      brokerClockAt: (ms) => ms,
      settled: `${(Date.now() - this.lastFaultAtMs).toLocaleString("en-US")} ms`,
    });
  }

  /** Kills every process (producers, broker, consumer) and removes the data directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await tearDown(this.nodes.values(), this.helpers, this.dir);
  }
}

/** A scenario's script went on after its deadline closed the stage: it stops here. */
export class StageClosed extends Error {
  constructor() {
    super("the scenario's stage was closed (its deadline passed)");
    this.name = "StageClosed";
  }
}

/** Waits for `promise`, or `ms` at most; the timer is cleared either way (it would hold the process). */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
