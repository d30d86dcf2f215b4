/**
 * The reference's parts, one object per learner file that is assembled from parts. A learner file
 * of the solution passes its object to its `...With` function; a bug-zoo entry spreads the same
 * object and replaces the one part it breaks, so that the entry holds only its bug.
 */
import { classify } from "./classify.ts";
import type { HandlerParts } from "./handle-with.ts";
import { runOnce } from "./run-once.ts";

export const handlerParts: HandlerParts = { runOnce, classify };
