import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["harness/**/*.test.ts", "labs/**/*.test.ts"],
    // The lab suites grade thousands of seeds; give them room on a busy 2-core machine.
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
