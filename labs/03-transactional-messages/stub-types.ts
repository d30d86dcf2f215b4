/**
 * What the stubs promise, by type: each learner file must have its solution file's module type,
 * the same exports with the same signatures. The stubs as shipped are checked against it by
 * harness/grade/stub-types.test.ts, which reads them from git, never from the learner's src/.
 *
 * In construction: this lists the files in lab.ts's `files` (those whose parts grade); every stub
 * of src/ is compiled by that check all the same, and each joins this list with its part.
 */
import type * as checkService from "./solution/check-service.ts";
import type * as coordinator from "./solution/coordinator.ts";
import type * as endTransaction from "./solution/end-transaction.ts";
import type * as halfStore from "./solution/half-store.ts";
import type * as partitionState from "./solution/partition-state.ts";
import type * as producer from "./solution/producer.ts";
import type * as recovery from "./solution/recovery.ts";

/** Each learner file, by its solution file's module type. */
export interface StubTypes {
  "half-store.ts": typeof halfStore;
  "producer.ts": typeof producer;
  "end-transaction.ts": typeof endTransaction;
  "check-service.ts": typeof checkService;
  "recovery.ts": typeof recovery;
  "coordinator.ts": typeof coordinator;
  "partition-state.ts": typeof partitionState;
}

/** Two modules are compared as they are: the same exports with the same types. */
export type Shape<M> = M;
