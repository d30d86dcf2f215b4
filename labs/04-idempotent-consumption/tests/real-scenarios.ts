/**
 * The scenarios of lab 04's real part (docs/design/lab-04.md, section 6), each a short script on a
 * Stage. Kills are aimed at exact steps (harness/real/kill-points.ts), never at a time: "when c1's
 * 2nd transaction commits, before its caller hears". A scenario publishes one operation first and
 * waits for it, so that the kill lands in that operation's handling, then publishes the rest.
 *
 * L4.B runs the learner's handler.ts; L4.C its inbox.ts under its handler.ts; L4.D its
 * redis-window.ts. The grader's stand-ins fill the rest, as in the simulated parts.
 */
import type { RealDatabase } from "#harness/real/db.ts";
import { type OrderEvent, TIMING } from "../provided.ts";
import { atMost, type ConsumerOptions, type Graded, type InjectedFailure, type Stage, sleep } from "./real-stage.ts";
import { standInKeyOf } from "./stand-ins.ts";

export type RealPart = "L4.B" | "L4.C" | "L4.D";

export interface RealScenario {
  part: RealPart;
  name: string;
  /** The learner's functions it runs. */
  graded: Graded[];
  /** It needs Redis (L4.D). */
  redis: boolean;
  /** Why it cannot be shown on this database (null: it runs). */
  skipOn(db: RealDatabase): string | null;
  run(stage: Stage): Promise<void>;
}

type Operation = Omit<OrderEvent, "sentAtMs">;

/** Three orders of two steps each; customers' balances are opened at 0. */
export const OPERATIONS: readonly Operation[] = [
  { orderId: "o1", step: 1, kind: "charge", customer: "alice", amountCents: 2500 },
  { orderId: "o2", step: 1, kind: "charge", customer: "bob", amountCents: 1200 },
  { orderId: "o1", step: 2, kind: "refund", customer: "alice", amountCents: 500 },
  { orderId: "o3", step: 1, kind: "charge", customer: "carol", amountCents: 900 },
  { orderId: "o2", step: 2, kind: "ship", customer: "bob", amountCents: 0 },
  { orderId: "o3", step: 2, kind: "charge", customer: "carol", amountCents: 300 },
];
export const CUSTOMERS = ["alice", "bob", "carol"] as const;

/** How long a killed consumer stays down before it is restarted. */
const DOWN_MS = 100;
/** Long enough for every consumer started to join the group and take its queues. */
const JOIN_MS = TIMING.heartbeatMs * 3;
/** The first operation's handling must end (or its kill point fire) within this long. */
const FIRST_MS = 1_000;

const FIRST = OPERATIONS[0] as Operation;
const FIRST_KEY = standInKeyOf(FIRST);

const runs = () => null;

async function publishAll(stage: Stage, operations: readonly Operation[]): Promise<void> {
  for (const operation of operations) await stage.publish(operation);
}

/** c1 and c2, unarmed, each started (and joining the group) in turn. */
async function startTwo(stage: Stage): Promise<void> {
  await stage.startConsumer("c1");
  await stage.startConsumer("c2");
}

/**
 * c1 alone, armed with `options`; the first operation is published and handled (or c1 dies at its
 * kill point); if c1 still lives, it is killed then (after its answer, before its offset commit);
 * restarted `downMs` later, it handles the redelivery and `more` operations.
 */
async function killedDuringFirst(stage: Stage, options: ConsumerOptions, more: number, downMs = DOWN_MS) {
  const c1 = await stage.startConsumer("c1", options);
  await stage.publish(FIRST);
  await atMost(Promise.race([c1.died, stage.doneFor(FIRST_KEY)]), FIRST_MS);
  if (c1.alive) stage.kill("c1");
  await sleep(downMs);
  await stage.startConsumer("c1");
  await publishAll(stage, OPERATIONS.slice(1, 1 + more));
}

/** c1 alone, its 1st transaction failed by the database as `kind` says; it handles three operations. */
async function failedFirst(stage: Stage, kind: InjectedFailure["kind"]) {
  await stage.startConsumer("c1", { fail: { nth: 1, kind } });
  await publishAll(stage, OPERATIONS.slice(0, 3));
}

const B: Graded[] = ["handle"];
const C: Graded[] = ["claim", "handle"];
const D: Graded[] = ["handleWithWindow"];

export const PGLITE_RACE_SKIP =
  "L4.C race: skipped on PGlite (one connection, transactions run one at a time) — set DATABASE_URL to see it";

export const REAL_SCENARIOS: RealScenario[] = [
  {
    part: "L4.B",
    name: "no faults: six operations, one published again as a new message; each applied once",
    graded: B,
    redis: false,
    skipOn: runs,
    async run(stage) {
      await stage.startConsumer("c1");
      await publishAll(stage, OPERATIONS);
      // A resend: new message id, new offset, same operation. The handler must claim the key it is given.
      await stage.publish(OPERATIONS[1] as Operation);
    },
  },
  {
    part: "L4.B",
    name: "c1 killed when its 1st transaction commits, before it hears; restarted: applied once",
    graded: B,
    redis: false,
    skipOn: runs,
    run: (stage) => killedDuringFirst(stage, { killAt: { kind: "afterCommit", n: 1 } }, 3),
  },
  {
    part: "L4.B",
    name: "c1 killed when its 2nd transaction commits (or after its answer, if it used one); restarted: applied once",
    graded: B,
    redis: false,
    skipOn: runs,
    run: (stage) => killedDuringFirst(stage, { killAt: { kind: "afterCommit", n: 2 } }, 3),
  },
  {
    part: "L4.B",
    name: "the database aborts c1's 1st transaction (serialization failure): retried, applied once",
    graded: B,
    redis: false,
    skipOn: runs,
    run: (stage) => failedFirst(stage, "conflict"),
  },
  {
    part: "L4.B",
    name: "c1's 1st COMMIT is cut off as it is sent (rolled back; CommitOutcomeUnknown): applied once",
    graded: B,
    redis: false,
    skipOn: runs,
    run: (stage) => failedFirst(stage, "commitLost"),
  },
  {
    part: "L4.C",
    name: "race: c1 and c2 handle one message at once on two connections, their claims meet after their first statement: applied once",
    graded: C,
    redis: false,
    skipOn: (db) => (db.concurrent ? null : PGLITE_RACE_SKIP),
    async run(stage) {
      await startTwo(stage);
      await sleep(JOIN_MS);
      stage.meetOnClaims(300);
      stage.twin(FIRST_KEY, "c2", 0);
      await stage.publish(FIRST);
      await atMost(stage.doneFor(FIRST_KEY), FIRST_MS);
      await publishAll(stage, OPERATIONS.slice(1, 4));
    },
  },
  {
    part: "L4.D",
    name: "no faults, late duplicates: two operations published again 200 ms later, each applied once",
    graded: D,
    redis: true,
    skipOn: runs,
    async run(stage) {
      await startTwo(stage);
      await publishAll(stage, OPERATIONS.slice(0, 4));
      await sleep(200);
      await publishAll(stage, [OPERATIONS[0] as Operation, OPERATIONS[3] as Operation]);
    },
  },
  {
    part: "L4.D",
    name: "c1 killed when the database commits, before its done mark; restarted 200 ms later: applied once",
    graded: D,
    redis: true,
    skipOn: runs,
    run: (stage) => killedDuringFirst(stage, { killAt: { kind: "afterCommit", n: 1 } }, 2, 200),
  },
  {
    part: "L4.D",
    name: "c1 killed when its 1st Redis write took effect, before it hears; restarted 200 ms later: applied once",
    graded: D,
    redis: true,
    skipOn: runs,
    run: (stage) => killedDuringFirst(stage, { killAfterRedisWrite: 1 }, 2, 200),
  },
  {
    part: "L4.D",
    name: "the database aborts c1's 1st transaction (serialization failure): retried, applied once",
    graded: D,
    redis: true,
    skipOn: runs,
    run: (stage) => failedFirst(stage, "conflict"),
  },
  {
    part: "L4.D",
    name: "c1's quote outlasts its lease (250 ms); c2 is handed the message meanwhile: applied once",
    graded: D,
    redis: true,
    skipOn: runs,
    async run(stage) {
      await startTwo(stage);
      await sleep(JOIN_MS);
      stage.slowFirstQuote(FIRST_KEY, 250);
      stage.twin(FIRST_KEY, "c2", 150);
      await stage.publish(FIRST);
      await publishAll(stage, OPERATIONS.slice(1, 3));
    },
  },
];
