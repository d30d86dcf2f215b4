/** Vitest settings for `npm run mutate` only (see mutate.ts): the grading test and nothing else. */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["harness/tools/mutate.grade.ts"],
    // Stryker's own timeout (from the unmutated run's times) decides when a mutant hangs; a Vitest
    // timeout would fail a slow but passing grade on a busy machine and count it as a kill.
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});
