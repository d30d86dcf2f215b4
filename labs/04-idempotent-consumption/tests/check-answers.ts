/**
 * Answers outside the contracts' words. The runtime reads every handler answer but "done" as
 * "retryLater", and a handler may read every claim answer but "first" as "seen", so a function that
 * answers something else (`undefined`, `""`, `"ok"`) can pass every other check by the luck of how
 * its caller reads it. Its contract names exactly two answers, and so does this check: the next
 * caller (a runtime that counts "retryLater" answers, a handler that tests `=== "seen"`) is
 * entitled to them.
 */
import type { Anomaly } from "#harness/checkers/anomaly.ts";
import { anomaly } from "#harness/checkers/anomaly.ts";
import type { Claim, Consumed, Transaction } from "../provided.ts";

const HANDLER_ANSWERS: readonly unknown[] = ["done", "retryLater"] satisfies Consumed[];
const CLAIM_ANSWERS: readonly unknown[] = ["first", "seen"] satisfies Claim[];

/** Where an answer came from, for the report: "the handler of m-3 (orders/1:0) on c1". */
export interface Answered {
  who: string;
  answer: unknown;
}

/** A `wrong answer` for each function that answered outside its contract (the first of each). */
export function checkAnswers(handlerAnswers: readonly Answered[], claimAnswers: readonly Answered[]): Anomaly[] {
  const found: Anomaly[] = [];
  const badHandler = handlerAnswers.find((a) => !HANDLER_ANSWERS.includes(a.answer));
  if (badHandler !== undefined)
    found.push(
      anomaly(
        "wrong answer",
        `${badHandler.who} answered ${shown(badHandler.answer)}: a handler answers "done" (the effect is durable) or "retryLater" (hand it to me again), nothing else`,
      ),
    );
  const badClaim = claimAnswers.find((a) => !CLAIM_ANSWERS.includes(a.answer));
  if (badClaim !== undefined)
    found.push(
      anomaly(
        "wrong answer",
        `${badClaim.who} answered ${shown(badClaim.answer)}: a claim answers "first" (this transaction applies the effect) or "seen" (a committed one already did), nothing else`,
      ),
    );
  return found;
}

type ClaimFn = (tx: Transaction, key: string) => Promise<Claim>;

/**
 * `claim`, with every answer recorded in `answers` as it is given (on consumer `consumerId`). The
 * caller gets the learner's own promise back, not one chained to it, so that recording adds no
 * step to the run: the same seed runs the same with and without it.
 */
export function recordingClaim(claim: ClaimFn, consumerId: string, answers: Answered[]): ClaimFn {
  return (tx, key) => {
    const answering = claim(tx, key);
    const who = `claim(tx, ${JSON.stringify(key)}) on ${consumerId}`;
    // A claim that throws is the handler's to deal with; only answers are recorded.
    Promise.resolve(answering).then(
      (answer) => answers.push({ who, answer }),
      () => undefined,
    );
    return answering;
  };
}

function shown(answer: unknown): string {
  return answer === undefined ? "undefined" : JSON.stringify(answer);
}
