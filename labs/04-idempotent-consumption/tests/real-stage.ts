/**
 * The deployment of lab 04's real part (docs/design/lab-04.md, section 6), one per scenario, in
 * real time:
 *
 *   p1 (harness producer) --send--> broker (labs/shared/broker on a MemoryStore; never crashes here)
 *   c1, c2 (RealNodes: the provided runtime with the learner's functions, killable at exact steps)
 *     --pull, commitOffset--> broker;  --transactions--> the business database (reset per scenario)
 *     --commands--> Redis (L4.D: a server, or the model on the real clock; reset per scenario)
 *
 * What the checker reads is what the producer was told and what the database committed, as in the
 * simulated parts (check-effects.ts). The one thing a real database does not give is commit times:
 * the stage notes when each transaction that wrote a ledger row handed its work back (just before
 * its COMMIT), which the report prints as the application's time.
 *
 * A learner function that throws (other than the database and Redis errors the contracts name,
 * which never reach this far in a correct handler) ends its consumer: the error is kept and the
 * scenario reports it, as the simulated parts report "your code threw".
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Database, Transaction } from "#harness/db.ts";
import type { RealDatabase } from "#harness/real/db.ts";
import { type KillPoint, type RealIncarnation, RealNode } from "#harness/real/incarnation.ts";
import { killAfterRedisWrite } from "#harness/real/kill-points.ts";
import { createKillableEnv, type KillableEnv } from "#harness/real/killable-env.ts";
import { RealNetwork } from "#harness/real/net.ts";
import type { RealRedis, RealRedisConnection } from "#harness/real/redis-real.ts";
import { tearDown } from "#harness/real/teardown.ts";
import { History } from "#harness/workloads/history.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import type { PullReply } from "#labs/shared/broker/protocol.ts";
import { MemoryStore } from "#labs/shared/broker/store.ts";
import {
  CommitOutcomeUnknown,
  type Consumed,
  type Delivery,
  GROUP,
  type OrderEvent,
  TABLES,
  TIMING,
  TOPIC,
  TransactionConflict,
} from "../provided.ts";
import { type ConsumerHandle, type ConsumerParts, encodeEnvelope, runPushConsumer } from "../runtime.ts";
import type { ConsumptionModule } from "./api.ts";
import type { Application, SentCopy, SentOperation } from "./check-effects.ts";
import { meetingAfterFirstStatement, rendezvous } from "./real-meet.ts";
import { standInClaim, standInHandle, standInKey, standInTracker } from "./stand-ins.ts";

export const BROKER = "broker";
export const PRODUCER = "p1";
const QUEUES = 2;
/** A quote's usual time on the real clock (the simulated parts draw 10 to 30 ms). */
const QUOTE_MS = 15;

/** What the real part needs of an implementation: a new copy of its modules per process. */
export interface ConsumerImpl {
  fresh(): ConsumptionModule;
}

/** The learner's functions a scenario runs (the grader's stand-ins for the rest). */
export type Graded = "handle" | "claim" | "handleWithWindow";

/** A database failure injected into a consumer's n-th transaction (its work rolled back for real). */
export interface InjectedFailure {
  nth: number;
  kind: "conflict" | "commitLost";
}

export interface ConsumerOptions {
  killAt?: KillPoint;
  /** Killed when its n-th Redis write has been answered, before it hears (L4.D). */
  killAfterRedisWrite?: number;
  fail?: InjectedFailure;
}

/** Thrown inside a transaction to roll it back for an injected failure. */
class Injected extends Error {}

export class Stage {
  readonly network = new RealNetwork();
  readonly history: History;
  readonly sent: SentOperation[] = [];
  /** The first error a learner function threw (it ended its consumer). */
  thrown: { consumer: string; delivery: Delivery; error: unknown } | null = null;
  private readonly startedAtMs = Date.now();
  private readonly nodes = new Map<string, RealNode>();
  private readonly handles = new Map<string, ConsumerHandle>();
  private readonly helpers: KillableEnv[] = [];
  private readonly workEndedAt = new Map<string, number>();
  /** Handlers running, by consumer: a dead consumer's are not waited for. */
  private readonly running = new Map<string, number>();
  /** Business keys whose first quote is slow, and how long it takes (ms). */
  private readonly slowQuotes = new Map<string, number>();
  private readonly twins = new Map<string, { to: string; delayMs: number }>();
  /** The first two claims meet after their first statement (L4.C's race); null: no meeting. */
  private meet: (() => Promise<void>) | null = null;
  private claimsMet = 0;
  private readonly doneWaiters = new Map<string, Array<() => void>>();
  private readonly doneKeys = new Set<string>();
  private producer: BrokerClient | null = null;
  private broker: Broker | null = null;
  private messages = 0;
  private closed = false;

  private constructor(
    readonly db: RealDatabase,
    private readonly redis: RealRedis | null,
    private readonly impl: ConsumerImpl,
    private readonly graded: readonly Graded[],
    private readonly dir: string,
  ) {
    this.history = new History(() => Date.now() - this.startedAtMs);
  }

  /** Resets the stores, starts the broker and the producer, and opens the customers' balances. */
  static async open(
    db: RealDatabase,
    redis: RealRedis | null,
    impl: ConsumerImpl,
    graded: readonly Graded[],
    customers: readonly string[],
  ): Promise<Stage> {
    await db.reset();
    await redis?.reset();
    const stage = new Stage(db, redis, impl, graded, await mkdtemp(path.join(tmpdir(), "lab04-real-")));
    const brokerEnv = stage.helperEnv(BROKER).env;
    // As the simulated deployment's broker: long polling, so that an idle consumer's pull waits.
    const config = {
      ...defaultBrokerConfig,
      topics: { [TOPIC]: QUEUES },
      sessionMs: TIMING.sessionMs,
      pullHoldMaxMs: TIMING.pullHoldMs,
    };
    stage.broker = await openBroker(brokerEnv, config, new MemoryStore());
    stage.producer = new BrokerClient(stage.helperEnv(PRODUCER).env.net, BROKER, TIMING.requestTimeoutMs);
    const setup = db.connect("setup");
    await setup.transaction(async (tx) => {
      for (const customer of customers) await tx.put(TABLES.balances, customer, { cents: 0 });
    });
    setup.kill();
    return stage;
  }

  private helperEnv(nodeId: string): KillableEnv {
    const killable = createKillableEnv({ nodeId, incarnation: 1, dataDir: this.dir, network: this.network });
    this.helpers.push(killable);
    return killable;
  }

  private node(nodeId: string): RealNode {
    let node = this.nodes.get(nodeId);
    if (node === undefined) {
      node = new RealNode({ nodeId, network: this.network, dataDir: this.dir, database: this.db });
      this.nodes.set(nodeId, node);
    }
    return node;
  }

  /** The running (or last) incarnation of a consumer. */
  incarnation(nodeId: string): RealIncarnation | null {
    return this.nodes.get(nodeId)?.incarnation ?? null;
  }

  /** Starts a new incarnation of consumer `nodeId` running the provided runtime. */
  async startConsumer(nodeId: string, options: ConsumerOptions = {}): Promise<RealIncarnation> {
    if (this.closed) throw new StageClosed();
    const inc = this.node(nodeId).start(options.killAt === undefined ? {} : { killAt: options.killAt });
    const connection: RealRedisConnection | undefined = this.redis?.connect(`${nodeId}#${inc.number}`);
    void inc.died.then(() => {
      connection?.kill();
      this.running.delete(nodeId);
    });
    const n = options.killAfterRedisWrite;
    const redis =
      connection === undefined || n === undefined ? connection : killAfterRedisWrite(connection, n, () => inc.kill());
    if (inc.number > 1) this.history.nemesis(`${nodeId} restarts (incarnation ${inc.number})`);
    const parts = this.assemble(nodeId, inc);
    const db = this.observed(withInjectedFailure(inc.db, options.fail));
    const outcome = await inc.call(() =>
      runPushConsumer(
        inc.env,
        {
          broker: new BrokerClient(inc.env.net, BROKER, TIMING.requestTimeoutMs),
          db,
          ...(redis === undefined ? {} : { redis, quote: (d: Delivery) => this.quote(inc, d) }),
        },
        parts,
        {
          delivered: (delivery) => {
            this.running.set(nodeId, (this.running.get(nodeId) ?? 0) + 1);
            this.twinOf(nodeId, delivery);
          },
          answered: (delivery, answer) => {
            this.running.set(nodeId, (this.running.get(nodeId) ?? 1) - 1);
            if (answer === "done") this.noteDone(standInKey(delivery));
          },
        },
      ),
    );
    if (outcome.kind === "ok") this.handles.set(nodeId, outcome.value);
    else if (outcome.kind === "error") throw outcome.error;
    return inc;
  }

  /** Resolves once some handler answered "done" for a delivery of `key`. */
  doneFor(key: string): Promise<void> {
    if (this.doneKeys.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      this.doneWaiters.set(key, [...(this.doneWaiters.get(key) ?? []), resolve]);
    });
  }

  private noteDone(key: string): void {
    this.doneKeys.add(key);
    for (const resolve of this.doneWaiters.get(key) ?? []) resolve();
    this.doneWaiters.delete(key);
  }

  /** Kills a consumer now, as a crash. */
  kill(nodeId: string): void {
    this.history.nemesis(`${nodeId} is killed`);
    this.nodes.get(nodeId)?.kill();
  }

  /** The first quote of `key` takes `ms` (a handler paused past its lease). */
  slowFirstQuote(key: string, ms: number): void {
    this.slowQuotes.set(key, ms);
  }

  /** The first delivery of `key` is handed to consumer `to` too, `delayMs` later (a twin). */
  twin(key: string, to: string, delayMs: number): void {
    this.twins.set(key, { to, delayMs });
  }

  /** The next two claims (of any consumer) meet after their first statement, waiting `ms` at most. */
  meetOnClaims(ms: number): void {
    this.meet = rendezvous(ms);
    this.claimsMet = 0;
  }

  private twinOf(from: string, delivery: Delivery): void {
    const key = standInKey(delivery);
    const twin = this.twins.get(key);
    if (twin === undefined) return;
    this.twins.delete(key);
    const to = twin.to === from ? (from === "c1" ? "c2" : "c1") : twin.to;
    setTimeout(() => {
      const handle = this.handles.get(to);
      const inc = this.incarnation(to);
      if (handle === undefined || inc === null || !inc.alive || this.closed) return;
      this.history.nemesis(`${to} is handed ${delivery.messageId} again while ${from} may still be at work on it`);
      void inc.call(() => handle.redeliver(delivery));
    }, twin.delayMs);
  }

  private async quote(inc: RealIncarnation, delivery: Delivery): Promise<number> {
    const key = standInKey(delivery);
    const slow = this.slowQuotes.get(key);
    this.slowQuotes.delete(key);
    await inc.env.clock.sleep(slow ?? QUOTE_MS);
    return delivery.event.amountCents;
  }

  /** The learner's functions for what the scenario grades, the stand-ins for the rest. */
  private assemble(nodeId: string, inc: RealIncarnation): ConsumerParts {
    const copy = this.impl.fresh();
    const pick = <K extends Graded>(name: K) => (this.graded.includes(name) ? copy[name] : undefined);
    const handle = pick("handle") ?? standInHandle;
    const learnerClaim = pick("claim") ?? standInClaim;
    const claim = (tx: Transaction, key: string) => {
      const meet = this.meet;
      if (meet === null || this.claimsMet >= 2) return learnerClaim(tx, key);
      this.claimsMet += 1;
      return learnerClaim(meetingAfterFirstStatement(tx, meet), key);
    };
    const windowed = pick("handleWithWindow");
    const ended =
      <A extends unknown[]>(fn: (...args: A) => Promise<Consumed>, delivery: (...args: A) => Delivery) =>
      (...args: A): Promise<Consumed> =>
        Promise.resolve()
          .then(() => fn(...args))
          .catch((error: unknown) => {
            this.thrown ??= { consumer: nodeId, delivery: delivery(...args), error };
            inc.kill();
            return new Promise<Consumed>(() => {});
          });
    return {
      businessKey: standInKey,
      claim,
      handle: ended(handle, (_ctx, d) => d),
      ...(windowed === undefined ? {} : { handleWithWindow: ended(windowed, (_ctx, d) => d) }),
      openTracker: standInTracker,
    };
  }

  /** `db` with the moment each transaction that wrote a ledger row handed its work back. */
  private observed(db: Database): Database {
    return {
      transaction: (work) =>
        db.transaction(async (tx) => {
          const ledgerKeys: string[] = [];
          const result = await work(notingLedger(tx, ledgerKeys));
          for (const key of ledgerKeys) this.workEndedAt.set(key, this.elapsedMs);
          return result;
        }),
    };
  }

  /** Publishes `event` as a new message (new id, new send time), retried until the broker stores it. */
  async publish(event: Omit<OrderEvent, "sentAtMs">): Promise<void> {
    const client = this.producer;
    if (client === null) throw new Error("the stage is not open");
    let operation = this.sent.find((o) => o.event.orderId === event.orderId && o.event.step === event.step);
    const full: OrderEvent = { ...event, sentAtMs: this.elapsedMs };
    if (operation === undefined) {
      operation = { event: full, copies: [] };
      this.sent.push(operation);
    }
    const messageId = `m-${++this.messages}`;
    const copy: SentCopy = { messageId, acknowledged: false };
    operation.copies.push(copy);
    const orders = [...new Set(this.sent.map((o) => o.event.orderId))];
    const queueId = orders.indexOf(event.orderId) % QUEUES;
    const op = this.history.invoke(PRODUCER, "send", { message: messageId, order: event.orderId, step: event.step });
    copy.op = op;
    const request = {
      type: "send",
      topic: TOPIC,
      queueId,
      key: event.orderId,
      body: encodeEnvelope({ id: messageId, event: full }),
      producerId: PRODUCER,
      sequence: -1,
    } as const;
    for (;;) {
      if (this.closed) throw new StageClosed();
      const reply = await client.call(request);
      if (reply.kind === "ok" && reply.reply.kind === "ok") {
        copy.acknowledged = true;
        this.history.complete(op, "ok", { output: { at: `${TOPIC}/${queueId}:${reply.reply.queueOffset}` } });
        return;
      }
      await sleep(5);
    }
  }

  /** Each queue's committed offset and end. */
  async progress(): Promise<{ queueId: number; committed: number; end: number }[]> {
    const broker = this.broker;
    if (broker === null) return [];
    const queues: { queueId: number; committed: number; end: number }[] = [];
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      const committed = broker.committed(GROUP, TOPIC, queueId).offset;
      const reply = (await broker.handle("grader", {
        type: "pull",
        topic: TOPIC,
        queueId,
        offset: 0,
        max: 1,
      })) as PullReply;
      queues.push({ queueId, committed, end: reply.kind === "ok" ? reply.maxOffset : committed });
    }
    return queues;
  }

  /** Every queue committed to its end, and no live consumer's handler still at work. */
  async drained(): Promise<boolean> {
    if ([...this.running.values()].some((n) => n > 0)) return false;
    return (await this.progress()).every((q) => q.committed >= q.end);
  }

  /** The committed applications, from the database's history, with the times the stage noted. */
  async applications(): Promise<Application[]> {
    const applications: Application[] = [];
    for (const commit of await this.db.history()) {
      for (const write of commit.writes) {
        if (write.table !== TABLES.ledger || !("row" in write)) continue;
        applications.push({
          applicationId: write.key,
          row: write.row as Application["row"],
          nodeId: commit.client,
          committedAtMs: this.workEndedAt.get(write.key) ?? Number.NaN,
        });
      }
    }
    return applications;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAtMs;
  }

  /** Kills every process and removes the data directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await tearDown(this.nodes.values(), this.helpers, this.dir);
  }
}

/** `tx`, noting the key of every ledger row it inserts. */
function notingLedger(tx: Transaction, keys: string[]): Transaction {
  return {
    get: (table, key) => tx.get(table, key),
    getForUpdate: (table, key) => tx.getForUpdate(table, key),
    insert: (table, key, row) => {
      if (table === TABLES.ledger) keys.push(key);
      return tx.insert(table, key, row);
    },
    insertIfAbsent: (table, key, row) => tx.insertIfAbsent(table, key, row),
    put: (table, key, row) => tx.put(table, key, row),
    delete: (table, key) => tx.delete(table, key),
    scan: (table, options) => tx.scan(table, options),
  };
}

/**
 * `db` whose `fail.nth` transaction fails after its work: the work is rolled back for real (an
 * error thrown inside it), and the caller hears a serialization failure, or a commit whose reply
 * was lost (the connection broke as COMMIT left, so it never arrived).
 */
function withInjectedFailure(db: Database, fail: InjectedFailure | undefined): Database {
  if (fail === undefined) return db;
  let count = 0;
  return {
    transaction: async (work) => {
      const nth = ++count;
      if (nth !== fail.nth) return db.transaction(work);
      try {
        await db.transaction(async (tx) => {
          await work(tx);
          throw new Injected();
        });
      } catch (error) {
        if (!(error instanceof Injected)) throw error;
      }
      throw fail.kind === "conflict"
        ? new TransactionConflict("serialization failure")
        : new CommitOutcomeUnknown("the connection broke as COMMIT was sent; it never arrived");
    },
  };
}

/** A scenario's script went on after its deadline closed the stage: it stops here. */
export class StageClosed extends Error {
  constructor() {
    super("the scenario's stage was closed (its deadline passed)");
    this.name = "StageClosed";
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, or `ms` at most; the timer is cleared either way. */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
