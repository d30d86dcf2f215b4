/**
 * The grader's view of each learner file (tests/api.ts) and the reference solution agree, file by
 * file: a contract changed in one place and not the other fails here, when the suite is
 * type-checked. The stubs as shipped are held to the solution by stub-types.ts (checked by
 * harness/grade/stub-types.test.ts, on the stubs from git). The runtime half checks that the
 * solution exports what the grader asks of a learner. Nothing here reads the learner's src/,
 * whose work is theirs.
 *
 * In construction: the solution has the files of the parts that grade (lab.ts's `files`).
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import lab from "./lab.ts";
import type * as solutionCheckService from "./solution/check-service.ts";
import type * as solutionCoordinator from "./solution/coordinator.ts";
import type * as solutionEndTransaction from "./solution/end-transaction.ts";
import type * as solutionHalfStore from "./solution/half-store.ts";
import type * as solutionPartitionState from "./solution/partition-state.ts";
import type * as solutionProducer from "./solution/producer.ts";
import type * as solutionRecovery from "./solution/recovery.ts";
import type {
  CheckServiceModule,
  EndTransactionModule,
  HalfStoreModule,
  KafkaModule,
  ProducerModule,
  RecoveryModule,
} from "./tests/api.ts";

describe("lab 03: each solution file has the type the grader expects of its file", () => {
  it("half-store.ts", () => {
    expectTypeOf<typeof solutionHalfStore>().toEqualTypeOf<HalfStoreModule>();
  });
  it("end-transaction.ts", () => {
    expectTypeOf<typeof solutionEndTransaction>().toEqualTypeOf<EndTransactionModule>();
  });
  it("check-service.ts", () => {
    expectTypeOf<typeof solutionCheckService>().toEqualTypeOf<CheckServiceModule>();
  });
  it("recovery.ts", () => {
    expectTypeOf<typeof solutionRecovery>().toEqualTypeOf<RecoveryModule>();
  });
  it("producer.ts", () => {
    expectTypeOf<typeof solutionProducer>().toEqualTypeOf<ProducerModule>();
  });
  it("coordinator.ts", () => {
    expectTypeOf<typeof solutionCoordinator>().toEqualTypeOf<Pick<KafkaModule, "openCoordinator">>();
  });
  it("partition-state.ts", () => {
    expectTypeOf<typeof solutionPartitionState>().toEqualTypeOf<Omit<KafkaModule, "openCoordinator">>();
  });

  it("the solution's files export every name the grader asks of a learner", async () => {
    const exported = new Set<string>();
    for (const file of lab.files) {
      for (const name of Object.keys(await import(/* @vite-ignore */ `./solution/${file}`))) exported.add(name);
    }
    for (const name of lab.exports) expect(exported.has(name), name).toBe(true);
  });
});
