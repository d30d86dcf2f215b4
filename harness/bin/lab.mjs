#!/usr/bin/env node
// The `lab` command. Registers the TypeScript loader (tsx), then runs harness/cli.ts.
// Kept in plain JavaScript so that it can explain a missing install instead of crashing.
// package.json points both its "bin" and `npm run lab` here; `npx lab` finds it through the local
// package in this folder.

// A reader that stops early (`npx lab list | head -3`) closes the pipe: that is the reader's
// choice, not an error, so end quietly instead of printing Node's EPIPE stack.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

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
