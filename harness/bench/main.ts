/**
 * `npm run bench`: speed figures, measured in one run on this machine, reported as rates and
 * ratios. Never a timed test: a busy machine makes a slow run, not a red build.
 *
 *   1. simulated events per second (the scheduler, timers, disk and network);
 *   2. fault plans explored per second (lab 00's solution graded seed after seed; a bug shrunk);
 *   3. every lab's own benchmark (labs/NN-name/bench.ts exporting runBench()).
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Env } from "../env.ts";
import { gradeInProcess } from "../grade/in-process.ts";
import { LABS_DIR, labSlugs } from "../grade/labs.ts";
import { World } from "../sim/world.ts";

function rate(count: number, ms: number): string {
  return Math.round((count / ms) * 1000).toLocaleString("en-US");
}

async function timersAndDisk(): Promise<string> {
  const world = new World({ seed: 1 });
  const node = world.addNode<Env>("n1", (env) => env);
  const started = performance.now();
  const result = await world.run(async () => {
    await node.start();
    await node.invoke(async (env) => {
      await env.disk.create("f");
      for (let i = 0; i < 50_000; i++) {
        await env.disk.write("f", (i % 64) * 16, new Uint8Array(16));
        if (i % 100 === 0) await env.disk.fsync("f");
        await env.clock.sleep(0.01);
      }
    });
  });
  const ms = performance.now() - started;
  return `simulated events/s (timers + disk, one node):      ${rate(result.events, ms)}  (${result.events} events in ${ms.toFixed(0)} ms)`;
}

async function network(): Promise<string> {
  const world = new World({ seed: 2, net: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.05 } });
  const ids = ["a", "b", "c", "d"];
  const nodes = ids.map((id) => world.addNode<Env>(id, (env) => env));
  const started = performance.now();
  const result = await world.run(async () => {
    for (const n of nodes) await n.start();
    await Promise.all(
      nodes.map((n, i) =>
        n.invoke(async (env) => {
          env.net.onRequest((_from, request) => request);
          for (let k = 0; k < 5_000; k++)
            await env.net.request(ids[(i + 1) % ids.length] as string, k, { timeoutMs: 20 });
        }),
      ),
    );
  });
  const ms = performance.now() - started;
  return `simulated events/s (request/response, four nodes):  ${rate(result.events, ms)}  (${result.events} events in ${ms.toFixed(0)} ms)`;
}

async function faultPlans(): Promise<string[]> {
  const seeds = 500;
  let started = performance.now();
  const solution = await gradeInProcess("00", "solution", { seeds });
  let ms = performance.now() - started;
  const runs = [...solution.outcomes.values()].reduce((sum, o) => sum + o.seedsRun, 0);
  const lines = [
    `fault plans explored/s (lab 00 solution, 4 parts):  ${rate(runs, ms)}  (${runs} seeds in ${ms.toFixed(0)} ms)`,
  ];
  started = performance.now();
  const bug = await gradeInProcess("00", "bugs/no-checksum", { parts: ["L0.C"], shrink: true });
  ms = performance.now() - started;
  const failure = bug.outcomes.get("L0.C")?.failure;
  lines.push(
    `a bug found and shrunk (lab 00 no-checksum, L0.C):   ${ms.toFixed(0)} ms (seed ${failure?.seed}, ${failure?.shrinks} shrink steps)`,
  );
  return lines;
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `Machine: ${os.availableParallelism()} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log("");
  console.log("Simulation");
  console.log(`  ${await timersAndDisk()}`);
  console.log(`  ${await network()}`);
  for (const line of await faultPlans()) console.log(`  ${line}`);
  for (const slug of labSlugs()) {
    const file = path.join(LABS_DIR, slug, "bench.ts");
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(file).href)) as { runBench?: () => Promise<string[]> };
    if (module.runBench === undefined) continue;
    console.log("");
    console.log(`Lab ${slug}`);
    for (const line of await module.runBench()) console.log(`  ${line}`);
  }
}

await main();
