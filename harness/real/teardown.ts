/** The end of a real run's stage (labs 03 and 04): nothing of it left running or on disk. */
import { rm } from "node:fs/promises";
import type { RealNode } from "./incarnation.ts";
import type { KillableEnv } from "./killable-env.ts";

/** Stops every node, kills every helper process, waits for their files to close, then removes `dir`. */
export async function tearDown(nodes: Iterable<RealNode>, helpers: readonly KillableEnv[], dir: string): Promise<void> {
  await Promise.all([...nodes].map((node) => node.stop()));
  for (const helper of helpers) helper.kill();
  await Promise.all(helpers.map((h) => h.filesClosed));
  await rm(dir, { recursive: true, force: true });
}
