import { describe, expect, it } from "vitest";
import { HarnessInvariantError } from "./invariant.ts";
import { Scheduler } from "./scheduler.ts";
import { envOf, envWorld, simulate } from "./testing.ts";

function collect(): { scheduler: Scheduler; log: string[]; errors: unknown[] } {
  const errors: unknown[] = [];
  return { scheduler: new Scheduler((error) => errors.push(error)), log: [], errors };
}

describe("scheduler", () => {
  it("runs events in time order, and in insertion order at equal times", async () => {
    const { scheduler, log } = collect();
    scheduler.at(5, null, "c", () => log.push("c@5"));
    scheduler.at(1, null, "a", () => log.push("a@1"));
    scheduler.at(5, null, "d", () => log.push("d@5"));
    scheduler.at(3, null, "b", () => log.push("b@3"));
    const end = await scheduler.run(() => false);
    expect(end).toEqual({ kind: "idle", atMs: 5 });
    expect(log).toEqual(["a@1", "b@3", "c@5", "d@5"]);
  });

  it("lets every promise continuation an event released run before the next event", async () => {
    const { scheduler, log } = collect();
    scheduler.at(1, null, "first", () => {
      void (async () => {
        await Promise.resolve();
        await null;
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        log.push("chain done");
      })();
    });
    scheduler.at(1, null, "second", () => log.push("second event"));
    await scheduler.run(() => false);
    expect(log).toEqual(["chain done", "second event"]);
  });

  it("holds a paused owner's events and releases them in order on resume, at the resume time", async () => {
    const { scheduler, log } = collect();
    scheduler.pause("n1");
    scheduler.at(1, "n1", "x", () => log.push(`x@${scheduler.nowMs}`));
    scheduler.at(2, "n1", "y", () => log.push(`y@${scheduler.nowMs}`));
    scheduler.at(3, "n2", "other", () => log.push(`other@${scheduler.nowMs}`));
    scheduler.at(10, null, "resume", () => scheduler.resume("n1"));
    await scheduler.run(() => false);
    expect(log).toEqual(["other@3", "x@10", "y@10"]);
  });

  it("stops a loop that never lets simulated time move when it spends the events allowed at one instant", async () => {
    const { scheduler } = collect();
    const spin = (): void => {
      scheduler.after(0, null, "spin", spin);
    };
    spin();
    const end = await scheduler.run(() => false, { maxSimMs: 1e9, maxEvents: 1e9, maxEventsPerInstant: 1000 });
    expect(end).toEqual({ kind: "budget", spent: "eventsAtOneInstant", atMs: 0, events: 1000 });
  });

  it("stops a run that keeps going when it spends its simulated time, or its events", async () => {
    const { scheduler } = collect();
    const tick = (): void => {
      scheduler.after(1, null, "tick", tick);
    };
    tick();
    expect(await scheduler.run(() => false, { maxSimMs: 50, maxEvents: 1e9, maxEventsPerInstant: 10 })).toEqual({
      kind: "budget",
      spent: "simTime",
      atMs: 50,
      events: 50,
    });
    expect(await scheduler.run(() => false, { maxSimMs: 1e9, maxEvents: 60, maxEventsPerInstant: 10 })).toEqual({
      kind: "budget",
      spent: "events",
      atMs: 61,
      events: 61,
    });
  });

  it("reports progress after every event, once the event's promise continuations have run", async () => {
    const { scheduler, log } = collect();
    for (const atMs of [1, 2, 3]) {
      scheduler.at(atMs, null, "tick", () => void Promise.resolve().then(() => log.push(`tick@${atMs}`)));
    }
    await scheduler.run(
      () => false,
      undefined,
      () => log.push("progress"),
    );
    expect(log).toEqual(["tick@1", "progress", "tick@2", "progress", "tick@3", "progress"]);
  });

  it("reports an error thrown by an event and keeps going", async () => {
    const { scheduler, log, errors } = collect();
    scheduler.at(1, null, "boom", () => {
      throw new Error("boom");
    });
    scheduler.at(2, null, "after", () => log.push("after"));
    await scheduler.run(() => false);
    expect(errors).toHaveLength(1);
    expect(log).toEqual(["after"]);
  });

  it("drops a dead owner's events", async () => {
    const { scheduler, log } = collect();
    scheduler.at(1, "n1", "x", () => log.push("x"));
    scheduler.at(1, "n2", "y", () => log.push("y"));
    scheduler.dropOwner("n1");
    await scheduler.run(() => false);
    expect(log).toEqual(["y"]);
  });
});

describe("the scheduler's invariants", () => {
  it("refuses a NaN delay or a time in the past, naming the harness, instead of quietly repairing it", () => {
    const scheduler = new Scheduler(() => {});
    expect(() => scheduler.after(Number.NaN, null, "bad", () => {})).toThrow(HarnessInvariantError);
    expect(() => scheduler.after(-1, null, "bad", () => {})).toThrow(/a bug in the grader, not in your code/);
    scheduler.nowMs = 10;
    expect(() => scheduler.at(9, null, "late", () => {})).toThrow(/scheduled at 9 ms, but it is already 10 ms/);
  });

  it("a lab's sleep with a negative or NaN delay means 'as soon as possible', as Node's timers do", async () => {
    const { world, node } = envWorld();
    const woke = await simulate(world, async () => {
      await node.start();
      const env = await envOf(node);
      await env.clock.sleep(-5);
      await env.clock.sleep(Number.NaN);
      return world.nowMs;
    });
    expect(woke).toBe(0);
  });
});
