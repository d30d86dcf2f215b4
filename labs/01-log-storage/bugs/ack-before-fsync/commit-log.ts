export * from "../../solution/commit-log.ts";
