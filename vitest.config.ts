import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["harness/**/*.test.ts", "labs/**/*.test.ts"],
    // The lab suites grade thousands of seeds; give them room on a busy 2-core machine. A zoo
    // entry graded on every part with shrinking took over 240 s at a load average of 15; the
    // timeout guards against hangs, not slowness (speed is the benchmarks' job).
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
