/**
 * Lab 03's graded parts (in construction: the ones whose checkers exist). Each part grades only
 * its own learner files: the files it does not grade are replaced by the small, tested stand-ins
 * in tests/ (docs/design/lab-03.md, section 2.3).
 */
import { definePart } from "#harness/grade/define.ts";
import type { TransactionModule } from "./api.ts";
import { type ChecksScenario, checksScenario, describeChecks, runChecksWorkload } from "./checks.ts";
import { describeHalves, type HalvesScenario, halvesScenario, runHalvesWorkload } from "./halves.ts";
import { describeOutcomes, type OutcomesScenario, outcomesScenario, runOutcomesWorkload } from "./outcomes.ts";
import { describeProduce, type ProduceScenario, produceScenario, runProduceWorkload } from "./produce.ts";
import { recoveryScenario, runRecoveryWorkload } from "./recovery.ts";

export const partA = definePart<TransactionModule, HalvesScenario>({
  id: "L3.A",
  title: "half messages",
  points: 10,
  seeds: 120,
  property:
    "a half is durable once acknowledged and invisible to consumers; a commit makes its message visible once, exactly as sent, durably before the reply; a rollback or no end leaves it undelivered; readHalf returns what was stored",
  scenario: halvesScenario,
  describe: describeHalves,
  run: runHalvesWorkload,
});

export const partC = definePart<TransactionModule, OutcomesScenario>({
  id: "L3.C",
  title: "exactly one outcome",
  points: 15,
  seeds: 120,
  property:
    "through duplicated, retried, racing, late and misaddressed end requests, each half gets one outcome, the first: its message is committed once or never, every reply names that outcome, a request of another transaction is refused with noSuchHalf",
  scenario: outcomesScenario,
  describe: describeOutcomes,
  run: runOutcomesWorkload,
});

export const partB = definePart<TransactionModule, ProduceScenario>({
  id: "L3.B",
  title: "the producer with a local transaction",
  points: 20,
  seeds: 150,
  property:
    "through producer crashes (also right after the local commit), long pauses, skewed clocks, partitions and a failing database, a message is delivered once if its local transaction committed and never if it did not; the producer side never sends both commit and rollback for one transaction, reports each outcome truly, and every half is resolved once the faults heal",
  scenario: produceScenario,
  describe: describeProduce,
  run: runProduceWorkload,
});

export const partD = definePart<TransactionModule, ChecksScenario>({
  id: "L3.D",
  title: "the check service",
  points: 20,
  seeds: 120,
  property:
    "a half nobody ended is checked only once it is older than the transaction timeout and its immunity on the broker's clock, never after its outcome was acknowledged; a check is spent only on a live producer, and a half is set aside (findable, with a reason) only after the whole budget reached one; every half is resolved once the faults heal, its message delivered once if its local transaction committed and never if not",
  scenario: checksScenario,
  describe: describeChecks,
  run: runChecksWorkload,
});

export const partE = definePart<TransactionModule, ChecksScenario>({
  id: "L3.E",
  title: "op records and recovery",
  points: 15,
  seeds: 150,
  property:
    "through broker crashes and power losses at every gap (between a commit's real message and its op record too), a half acknowledged resolved stays resolved and is never checked again, a committed message is delivered exactly once, a set-aside half is never delivered, and the broker serves again once it restarts",
  scenario: recoveryScenario,
  describe: describeChecks,
  run: runRecoveryWorkload,
});
