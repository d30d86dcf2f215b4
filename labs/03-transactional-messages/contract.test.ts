/**
 * The stubs, the grader's view of them (tests/api.ts) and the reference solution agree, file by
 * file. A contract changed in one place and not the others fails here, when the suite is
 * type-checked (`npm test` runs `tsc --noEmit` first; `vitest --typecheck` checks it too). The
 * runtime half checks that the solution exports what the grader asks of a learner; it reads the
 * solution only, never the learner's src/, whose work is theirs (see harness/grade/shipped.ts).
 *
 * In construction: the solution has the files of the parts that grade (lab.ts's `files`); each
 * stub is held to tests/api.ts until its solution file exists, then to the solution's type.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import lab from "./lab.ts";
import type * as solutionEndTransaction from "./solution/end-transaction.ts";
import type * as solutionHalfStore from "./solution/half-store.ts";
import type * as solutionProducer from "./solution/producer.ts";
import type * as stubCheckService from "./src/check-service.ts";
import type * as stubCoordinator from "./src/coordinator.ts";
import type * as stubEndTransaction from "./src/end-transaction.ts";
import type * as stubHalfStore from "./src/half-store.ts";
import type * as stubPartitionState from "./src/partition-state.ts";
import type * as stubProducer from "./src/producer.ts";
import type * as stubRecovery from "./src/recovery.ts";
import type {
  CheckServiceModule,
  EndTransactionModule,
  HalfStoreModule,
  KafkaModule,
  ProducerModule,
  RecoveryModule,
} from "./tests/api.ts";

describe("lab 03: each stub has the type the grader expects of its file", () => {
  it("half-store.ts, and its solution", () => {
    expectTypeOf<typeof stubHalfStore>().toEqualTypeOf<HalfStoreModule>();
    expectTypeOf<typeof stubHalfStore>().toEqualTypeOf<typeof solutionHalfStore>();
  });
  it("end-transaction.ts, and its solution", () => {
    expectTypeOf<typeof stubEndTransaction>().toEqualTypeOf<EndTransactionModule>();
    expectTypeOf<typeof stubEndTransaction>().toEqualTypeOf<typeof solutionEndTransaction>();
  });
  it("producer.ts, and its solution", () => {
    expectTypeOf<typeof stubProducer>().toEqualTypeOf<ProducerModule>();
    expectTypeOf<typeof stubProducer>().toEqualTypeOf<typeof solutionProducer>();
  });
  it("check-service.ts", () => {
    expectTypeOf<typeof stubCheckService>().toEqualTypeOf<CheckServiceModule>();
  });
  it("recovery.ts", () => {
    expectTypeOf<typeof stubRecovery>().toEqualTypeOf<RecoveryModule>();
  });
  it("coordinator.ts", () => {
    expectTypeOf<typeof stubCoordinator>().toEqualTypeOf<Pick<KafkaModule, "openCoordinator">>();
  });
  it("partition-state.ts", () => {
    expectTypeOf<typeof stubPartitionState>().toEqualTypeOf<Omit<KafkaModule, "openCoordinator">>();
  });

  it("the solution's files export every name the grader asks of a learner", async () => {
    const exported = new Set<string>();
    for (const file of lab.files) {
      for (const name of Object.keys(await import(/* @vite-ignore */ `./solution/${file}`))) exported.add(name);
    }
    for (const name of lab.exports) expect(exported.has(name), name).toBe(true);
  });
});
