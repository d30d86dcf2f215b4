#!/usr/bin/env node
// The `lab` command. Registers the TypeScript loader (tsx), then runs harness/cli.ts.
// Kept in plain JavaScript so that it can explain a missing install instead of crashing.
let register;
try {
  ({ register } = await import("tsx/esm/api"));
} catch {
  console.error("lab: the project's dependencies are not installed; run `npm ci` in the repository first.");
  process.exit(2);
}
register();
const { main } = await import("../cli.ts");
process.exitCode = await main(process.argv.slice(2));
