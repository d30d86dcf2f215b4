/**
 * A client call into a node, recorded in the history: the one place that turns how a call ended
 * (`InvokeOutcome`) into what the history says about it.
 *
 *   returned          -> ok, with the value as output (unless `keepOutput` is false)
 *   node was down     -> fail: the call never reached the program, so it certainly did not happen
 *   node died         -> info: it may or may not have taken effect
 *   threw             -> a programming error (TypeError, NotImplemented, ...) ends the run with a
 *                        verdict naming the call; any other error is recorded as `onError` says:
 *                        "info" when the operation may have taken effect before failing (a save
 *                        whose rename landed but whose directory fsync failed), "fail" when it
 *                        cannot have (a read)
 */
import { isProgrammingError, rethrowFrom } from "../errors.ts";
import type { SimNode } from "../sim/node.ts";
import { describeCall, type History, type Op } from "./history.ts";

export interface CallOptions {
  client: string;
  f: string;
  input: unknown;
  /** What a thrown, non-programming error means for the operation. */
  onError: "fail" | "info";
  /** Record the returned value as the op's output (default true). */
  keepOutput?: boolean;
}

export async function recordCall<TApi, T>(
  history: History,
  node: SimNode<TApi>,
  options: CallOptions,
  call: (api: TApi) => T | Promise<T>,
): Promise<Op> {
  const op = history.invoke(options.client, options.f, options.input);
  const outcome = await node.invoke(call);
  switch (outcome.kind) {
    case "ok":
      history.complete(op, "ok", options.keepOutput === false ? {} : { output: outcome.value });
      break;
    case "down":
      history.complete(op, "fail", { note: "the node was down" });
      break;
    case "crashed":
      history.complete(op, "info", {
        note: `the node ${outcome.reason === "crash" ? "crashed" : "lost power"} before answering`,
      });
      break;
    case "error":
      if (isProgrammingError(outcome.error)) rethrowFrom(describeCall(op), outcome.error);
      history.complete(op, options.onError, { threw: errorText(outcome.error) });
      break;
  }
  return op;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
