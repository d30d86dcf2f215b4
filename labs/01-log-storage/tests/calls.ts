/**
 * One client call into a node, recorded in the history: how every workload of this lab talks to
 * the implementation. A call that the node never received fails; one cut short by a crash, or one
 * that threw, has an unknown outcome (it may have taken effect); a programming error (a TypeError,
 * an untouched stub) ends the run with a verdict that names the call.
 */
import { isProgrammingError, rethrowFrom } from "#harness/grade/verdict.ts";
import type { SimNode } from "#harness/sim/node.ts";
import { describeCall, type History, type Op } from "#harness/workloads/history.ts";
import { errorText } from "./api.ts";

export type CallResult<T> =
  | { kind: "ok"; op: Op; value: T }
  | { kind: "threw"; op: Op; error: unknown }
  | { kind: "lost"; op: Op };

export interface CallOptions<T> {
  /** What the history shows as the answer (default: none). */
  output?: (value: T) => unknown;
  /** Whether a call that threw may have taken effect ("info") or surely did not ("fail"). */
  threwMeans?: "info" | "fail";
  /** Errors that are answers, not failures (an out-of-range read answers "out of range"). */
  answerOf?: (error: unknown) => unknown;
}

export async function call<TApi, T>(
  node: SimNode<TApi>,
  history: History,
  client: string,
  f: string,
  input: unknown,
  body: (api: TApi) => T | Promise<T>,
  options: CallOptions<Awaited<T>> = {},
): Promise<CallResult<Awaited<T>>> {
  const op = history.invoke(client, f, input);
  const outcome = await node.invoke(body);
  switch (outcome.kind) {
    case "ok": {
      const output = options.output?.(outcome.value);
      history.complete(op, "ok", output === undefined ? {} : { output });
      return { kind: "ok", op, value: outcome.value };
    }
    case "down":
      history.complete(op, "fail", { note: "the node was down" });
      return { kind: "lost", op };
    case "crashed":
      history.complete(op, "info", {
        note: `the node ${outcome.reason === "power loss" ? "lost power" : "crashed"} before answering`,
      });
      return { kind: "lost", op };
    case "error": {
      if (isProgrammingError(outcome.error)) rethrowFrom(describeCall(op), outcome.error);
      const answer = options.answerOf?.(outcome.error);
      if (answer !== undefined) {
        history.complete(op, "ok", { output: answer, note: errorText(outcome.error) });
        return { kind: "threw", op, error: outcome.error };
      }
      history.complete(op, options.threwMeans ?? "info", { threw: errorText(outcome.error) });
      return { kind: "threw", op, error: outcome.error };
    }
  }
}
