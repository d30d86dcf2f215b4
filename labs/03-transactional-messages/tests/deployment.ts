/**
 * The simulated deployment every lab 03 RocketMQ part runs in:
 *
 *   producers p1, p2 (scripted by the harness, or the learner's)  --sendHalf / endTransaction-->  broker
 *        ^                                                                                           |
 *        +----------------- checkTransaction (one-way) -------------------------------------------+
 *   consumer c1  --pull orders-->  broker (labs/shared/broker on lab 01's log, with a transaction service)
 *   auditor      --pull every topic, system topics included, once faults heal-->  broker
 *   business database (SimDatabase): the producers' (L3.B)
 *
 * The transaction service is plugged into the broker by the part: assembled from the learner's
 * functions and the stand-ins in tests/ (`assembled`), or the oracle (L3.B). Every check the
 * broker sends is recorded with whether its target was live at that moment (the broker's own
 * registry says so). The consumer records each message it receives as a `receive` operation; the
 * checkers read those, the producers' operations, the checks, and the auditor's final reads:
 * what clients and the disk saw, never the service's internals.
 */
import { type AllFaults, applyAllPlans } from "#harness/faults/apply-all.ts";
import type { DbFaultPlan } from "#harness/faults/db-plan.ts";
import type { FaultPlan } from "#harness/faults/plan.ts";
import type { TestContext } from "#harness/grade/define.ts";
import type { SimDatabase } from "#harness/sim/db.ts";
import type { SimNode } from "#harness/sim/node.ts";
import type { Env } from "#lab";
import { assembleService, type ServiceParts, TIMING, TOPIC } from "#labs/03-transactional-messages/provided.ts";
import { type Broker, defaultBrokerConfig, openBroker } from "#labs/shared/broker/broker.ts";
import { BrokerClient } from "#labs/shared/broker/client.ts";
import { openLogStore } from "#labs/shared/broker/log-store.ts";
import type { CheckTransaction, StoredMessage } from "#labs/shared/broker/protocol.ts";
import type { BrokerSide, TransactionService } from "#labs/shared/broker/transactions.ts";
import type { TransactionModule } from "./api.ts";

export const BROKER = "broker";
export const CONSUMER = "c1";
export const AUDITOR = "auditor";

/** How often the harness consumer pulls each queue. */
export const PULL_EVERY_MS = 20;

/**
 * One read of a stream (a queue, a partition) from `from`: it records what it receives with
 * `receive` and resolves to where the next read starts.
 */
export type PullStream = (
  client: BrokerClient,
  stream: number,
  from: number,
  receive: (input: unknown) => void,
) => Promise<number>;

/**
 * The harness consumer (node CONSUMER): every PULL_EVERY_MS of its clock, reads each of `count`
 * streams that is not still being read, from where it left off (0 at first), and records each
 * thing it receives as a `receive` operation, completed at once.
 */
export function addPollingConsumer(ctx: TestContext<unknown>, count: number, pull: PullStream): SimNode<Env> {
  const { history } = ctx;
  const receive = (input: unknown): void => history.complete(history.invoke(CONSUMER, "receive", input), "ok");
  return ctx.world.addNode<Env>(CONSUMER, (env) => {
    const client = new BrokerClient(env.net, BROKER, TIMING.requestTimeoutMs);
    const next = Array.from({ length: count }, () => 0);
    const busy = Array.from({ length: count }, () => false);
    env.clock.setInterval(PULL_EVERY_MS, () => {
      for (let stream = 0; stream < count; stream++) {
        if (busy[stream]) continue;
        busy[stream] = true;
        void pull(client, stream, next[stream] ?? 0, receive)
          .then((at) => {
            next[stream] = at;
          })
          .finally(() => {
            busy[stream] = false;
          });
      }
    });
    return env;
  });
}

/** What the broker node's program exposes to the harness: the broker and the side its service got. */
export interface BrokerNode {
  broker: Broker;
  side: BrokerSide;
  service: TransactionService;
}

/** Opens the transaction service on a broker incarnation's side (given that incarnation's env). */
export type OpenService = (env: Env) => (side: BrokerSide) => Promise<TransactionService>;

/** A service assembled with the provided wiring from parts (the learner's and stand-ins). */
export function assembled(partsFor: (env: Env) => ServiceParts): OpenService {
  return (env) => (side) => assembleService(side, partsFor(env));
}

/**
 * The service assembled from the implementation's functions (a fresh copy per incarnation), with
 * `standIns` in place of those the part does not grade; no check service runs unless `checks`.
 */
export function learnerService(
  ctx: TestContext<TransactionModule>,
  standIns: Partial<Omit<ServiceParts, "checkOnce">>,
  checks: boolean,
): OpenService {
  return assembled((env) => {
    const impl = ctx.implFor(env);
    return {
      storeHalf: impl.storeHalf,
      readHalf: impl.readHalf,
      commitHalf: impl.commitHalf,
      rollbackHalf: impl.rollbackHalf,
      endTransaction: impl.endTransaction,
      recoverResolutions: impl.recoverResolutions,
      ...(checks ? { checkOnce: impl.checkOnce } : {}),
      ...standIns,
    };
  });
}

/** One check the broker sent, at true time `atMs`, and whether its target was live then. */
export interface SentCheck {
  atMs: number;
  target: string;
  live: boolean;
  check: CheckTransaction;
}

export interface Deployment {
  broker: SimNode<BrokerNode>;
  queueCount: number;
  /** Every check the broker sent, in order. */
  readonly checks: SentCheck[];
  /** Reads a whole queue through the auditor, retrying until the broker answers. */
  readQueue(topic: string, queueId: number): Promise<StoredMessage[]>;
  /** Every queue of TOPIC, in queue order. */
  readRealQueues(): Promise<StoredMessage[][]>;
}

export function deployBroker(ctx: TestContext<unknown>, queueCount: number, open: OpenService): Deployment {
  const { world } = ctx;
  const checks: SentCheck[] = [];
  const config = {
    ...defaultBrokerConfig,
    topics: { [TOPIC]: queueCount },
    offsetPersistIntervalMs: TIMING.progressPersistMs,
  };
  const broker = world.addNode<BrokerNode>(BROKER, async (env) => {
    let opened: { side: BrokerSide; service: TransactionService } | null = null;
    const openService = open(env);
    const instance = await openBroker(
      env,
      {
        ...config,
        transactions: {
          producerSessionMs: TIMING.producerSessionMs,
          open: async (side) => {
            const observed: BrokerSide = {
              ...side,
              sendCheck: (target, check) => {
                const live = side.liveProducers(check.group).includes(target);
                checks.push({ atMs: world.nowMs, target, live, check });
                side.sendCheck(target, check);
              },
            };
            const service = await openService(observed);
            opened = { side: observed, service };
            return service;
          },
        },
      },
      await openLogStore(env),
    );
    const { side, service } = opened as unknown as { side: BrokerSide; service: TransactionService };
    return { broker: instance, side, service };
  });
  const auditor = world.addNode<Env>(AUDITOR, (env) => env);

  const readQueue = async (topic: string, queueId: number): Promise<StoredMessage[]> => {
    if (!auditor.isUp) await auditor.start();
    const outcome = await auditor.invoke(async (env) => {
      const client = new BrokerClient(env.net, BROKER, 200);
      const messages: StoredMessage[] = [];
      for (;;) {
        const pulled = await client.call({ type: "pull", topic, queueId, offset: messages.length, max: 64 });
        if (pulled.kind !== "ok") continue;
        if (pulled.reply.kind !== "ok" || pulled.reply.messages.length === 0) return messages;
        messages.push(...pulled.reply.messages);
      }
    });
    if (outcome.kind !== "ok") throw new Error(`the auditor could not read ${topic}/${queueId}: ${outcome.kind}`);
    return outcome.value;
  };

  return {
    broker,
    queueCount,
    checks,
    readQueue,
    async readRealQueues() {
      const queues: StoredMessage[][] = [];
      for (let queueId = 0; queueId < queueCount; queueId++) queues.push(await readQueue(TOPIC, queueId));
      return queues;
    },
  };
}

/** Starts the broker; its boot failing is the implementation's error (its recovery, say). */
export async function startBroker(deployment: Deployment): Promise<void> {
  const started = await deployment.broker.start();
  if (started.kind === "error") throw started.error;
}

/**
 * What most parts' workloads start with: the broker deployed with the service `open` over
 * `queueCount` queues of TOPIC, started, and the harness consumer pulling them.
 */
export async function startBrokerAndConsumer(
  ctx: TestContext<TransactionModule>,
  queueCount: number,
  open: OpenService,
): Promise<Deployment> {
  const deployment = deployBroker(ctx, queueCount, open);
  await startBroker(deployment);
  await addConsumer(ctx, queueCount).start();
  return deployment;
}

/**
 * The harness consumer: pulls every queue of TOPIC from offset 0, every PULL_EVERY_MS, and records
 * each message it receives as a `receive` operation (completed at once). If a queue comes back
 * shorter than what it had read (the broker lost unsynced appends to a power cut), it reads on
 * from the new end, so that a message appended later at a reused offset is received too.
 */
export function addConsumer(ctx: TestContext<unknown>, queueCount: number): SimNode<Env> {
  return addPollingConsumer(ctx, queueCount, async (client, queueId, from, receive) => {
    const pulled = await client.call({ type: "pull", topic: TOPIC, queueId, offset: from, max: 32 });
    if (pulled.kind !== "ok" || pulled.reply.kind !== "ok") return from;
    const { messages, maxOffset } = pulled.reply;
    if (messages.length === 0) return maxOffset < from ? maxOffset : from;
    for (const { queueOffset, key, body } of messages) receive({ queueId, queueOffset, key, body });
    return (messages.at(-1)?.queueOffset ?? from - 1) + 1;
  });
}

/** The world's plan and, if the part has a database, the database's plan, applied together. */
export function applyFaults(
  ctx: TestContext<unknown>,
  plan: FaultPlan,
  database?: { db: SimDatabase; plan: DbFaultPlan },
): AllFaults {
  return applyAllPlans(ctx.world, ctx.history, plan, database === undefined ? {} : { db: database });
}
