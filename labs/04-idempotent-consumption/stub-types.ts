/**
 * What the stubs promise, by type: each learner file must have its solution file's module type,
 * the same exports with the same signatures. The stubs as shipped are checked against it by
 * harness/grade/stub-types.test.ts, which reads them from git, never from the learner's src/.
 *
 * Under construction: the solution files of the parts not built yet (transformer.ts) throw
 * NotImplemented as the stubs do, with the same signatures, so they tie the stubs to their types
 * already.
 */
import type * as businessKey from "./solution/business-key.ts";
import type * as handler from "./solution/handler.ts";
import type * as inbox from "./solution/inbox.ts";
import type * as offsetTracker from "./solution/offset-tracker.ts";
import type * as redisWindow from "./solution/redis-window.ts";
import type * as transformer from "./solution/transformer.ts";

/** Each learner file, by its solution file's module type. */
export interface StubTypes {
  "business-key.ts": typeof businessKey;
  "handler.ts": typeof handler;
  "inbox.ts": typeof inbox;
  "redis-window.ts": typeof redisWindow;
  "offset-tracker.ts": typeof offsetTracker;
  "transformer.ts": typeof transformer;
}

/** Two modules are compared as they are: the same exports with the same types. */
export type Shape<M> = M;
