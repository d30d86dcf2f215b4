/**
 * A client call into a node, recorded in the history: the one place that turns how a call ended
 * (`InvokeOutcome`) into what the history says about it.
 *
 *   returned          -> ok, with the value as output (unless `keepOutput` is false; `output` maps it)
 *   node was down     -> fail: the call never reached the program, so it certainly did not happen
 *   node died         -> info: it may or may not have taken effect
 *   threw             -> a programming error (TypeError, NotImplemented, ...) ends the run with a
 *                        verdict naming the call; any other error is recorded as `onError` says:
 *                        "info" when the operation may have taken effect before failing (a save
 *                        whose rename landed but whose directory fsync failed), "fail" when it
 *                        cannot have (a read); an error `answerOf` recognizes is an answer
 *                        ("out of range"), and completes ok
 *
 * `recordCall` gives back the history's op; `recordCallResult` also what the call returned or threw.
 */
import { isProgrammingError, rethrowFrom } from "../errors.ts";
import type { SimNode } from "../sim/node.ts";
import { describeCall, type History, type Op } from "./history.ts";

export interface CallOptions<T = unknown> {
  client: string;
  f: string;
  /** What the call was given, as the history shows it (none for a call without arguments). */
  input?: unknown;
  /** What a thrown, non-programming error means for the operation. */
  onError: "fail" | "info";
  /** Record the returned value as the op's output (default true). */
  keepOutput?: boolean;
  /** What the history shows as the output, instead of the value itself (undefined: none). */
  output?: (value: T) => unknown;
  /** An error that is an answer, not a failure: the op completes ok with this output (else undefined). */
  answerOf?: (error: unknown) => unknown;
}

/** How a recorded call ended: returned, threw (not a programming error), or never answered. */
export type CallResult<T> =
  | { kind: "ok"; op: Op; value: T }
  | { kind: "threw"; op: Op; error: unknown }
  | { kind: "lost"; op: Op };

export async function recordCall<TApi, T>(
  history: History,
  node: SimNode<TApi>,
  options: CallOptions<Awaited<T>>,
  call: (api: TApi) => T | Promise<T>,
): Promise<Op> {
  return (await recordCallResult(history, node, call, options)).op;
}

/** As recordCall; the call comes before the options so that `output` and `answerOf` know its type. */
export async function recordCallResult<TApi, T>(
  history: History,
  node: SimNode<TApi>,
  call: (api: TApi) => T | Promise<T>,
  options: CallOptions<Awaited<T>>,
): Promise<CallResult<Awaited<T>>> {
  const op = history.invoke(options.client, options.f, options.input);
  const outcome = await node.invoke(call);
  switch (outcome.kind) {
    case "ok": {
      if (options.output !== undefined) {
        const output = options.output(outcome.value);
        history.complete(op, "ok", output === undefined ? {} : { output });
      } else history.complete(op, "ok", options.keepOutput === false ? {} : { output: outcome.value });
      return { kind: "ok", op, value: outcome.value };
    }
    case "down":
      history.complete(op, "fail", { note: "the node was down" });
      return { kind: "lost", op };
    case "crashed":
      history.complete(op, "info", {
        note: `the node ${outcome.reason === "crash" ? "crashed" : "lost power"} before answering`,
      });
      return { kind: "lost", op };
    case "error": {
      if (isProgrammingError(outcome.error)) rethrowFrom(describeCall(op), outcome.error);
      const answer = options.answerOf?.(outcome.error);
      if (answer !== undefined) history.complete(op, "ok", { output: answer, note: errorText(outcome.error) });
      else history.complete(op, options.onError, { threw: errorText(outcome.error) });
      return { kind: "threw", op, error: outcome.error };
    }
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
