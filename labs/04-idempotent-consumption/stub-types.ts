/**
 * What the stubs promise, by type: each learner file must have the module type below, the same
 * exports with the same signatures. The stubs as shipped are checked against it by
 * harness/grade/stub-types.test.ts, which reads them from git, never from the learner's src/.
 *
 * UNDER CONSTRUCTION: there is no solution yet, so the types come from tests/api.ts; once
 * solution/ exists, each line becomes `typeof` its solution file, as in the other labs.
 */
import type {
  BusinessKeyModule,
  HandlerModule,
  InboxModule,
  OffsetTrackerModule,
  RedisWindowModule,
  TransformerModule,
} from "./tests/api.ts";

/** Each learner file, by its module type. */
export interface StubTypes {
  "business-key.ts": BusinessKeyModule;
  "handler.ts": HandlerModule;
  "inbox.ts": InboxModule;
  "redis-window.ts": RedisWindowModule;
  "offset-tracker.ts": OffsetTrackerModule;
  "transformer.ts": TransformerModule;
}

/** Two modules are compared as they are: the same exports with the same types. */
export type Shape<M> = M;
