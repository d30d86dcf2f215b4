/**
 * The stubs and the reference solution have the same module type, file by file: the same exports
 * with the same signatures. A contract changed in one and not the other fails here, when the suite
 * is type-checked (`npm test` runs `tsc --noEmit` first; `vitest --typecheck` checks it too). The
 * runtime half checks that the solution exports what the grader asks of a learner; it reads the
 * solution only, never the learner's src/, whose work is theirs (see harness/grade/shipped.ts).
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import lab from "./lab.ts";
import type * as solutionConsumer from "./solution/consumer.ts";
import type * as solutionKeyParallel from "./solution/key-parallel.ts";
import type * as solutionProducer from "./solution/producer.ts";
import type * as solutionQueueWorker from "./solution/queue-worker.ts";
import type * as solutionRouting from "./solution/routing.ts";
import type * as stubConsumer from "./src/consumer.ts";
import type * as stubKeyParallel from "./src/key-parallel.ts";
import type * as stubProducer from "./src/producer.ts";
import type * as stubQueueWorker from "./src/queue-worker.ts";
import type * as stubRouting from "./src/routing.ts";

describe("lab 02: each stub and its solution have the same module type", () => {
  it("routing.ts", () => {
    expectTypeOf<typeof stubRouting>().toEqualTypeOf<typeof solutionRouting>();
  });
  it("producer.ts", () => {
    expectTypeOf<typeof stubProducer>().toEqualTypeOf<typeof solutionProducer>();
  });
  it("queue-worker.ts", () => {
    expectTypeOf<typeof stubQueueWorker>().toEqualTypeOf<typeof solutionQueueWorker>();
  });
  it("consumer.ts", () => {
    expectTypeOf<typeof stubConsumer>().toEqualTypeOf<typeof solutionConsumer>();
  });
  it("key-parallel.ts", () => {
    expectTypeOf<typeof stubKeyParallel>().toEqualTypeOf<typeof solutionKeyParallel>();
  });

  it("the solution's files export every name the grader asks of a learner", async () => {
    const exported = new Set<string>();
    for (const file of lab.files) {
      for (const name of Object.keys(await import(/* @vite-ignore */ `./solution/${file}`))) exported.add(name);
    }
    for (const name of lab.exports) expect(exported.has(name), name).toBe(true);
  });
});
