/**
 * What the stubs promise, by type: each learner file must have its solution file's module type,
 * the same exports with the same signatures. The stubs as shipped are checked against it by
 * harness/grade/stub-types.test.ts, which reads them from git, never from the learner's src/: a
 * learner's finished files may have helpers and unused names of their own, and the project's
 * tests must stay green for them.
 */
import type * as consumer from "./solution/consumer.ts";
import type * as keyParallel from "./solution/key-parallel.ts";
import type * as producer from "./solution/producer.ts";
import type * as queueWorker from "./solution/queue-worker.ts";
import type * as routing from "./solution/routing.ts";

/** Each learner file, by its solution file's module type. */
export interface StubTypes {
  "routing.ts": typeof routing;
  "producer.ts": typeof producer;
  "queue-worker.ts": typeof queueWorker;
  "consumer.ts": typeof consumer;
  "key-parallel.ts": typeof keyParallel;
}

/** Two modules are compared as they are: the same exports with the same types. */
export type Shape<M> = M;
