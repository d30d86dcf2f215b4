export * from "../../solution/flush.ts";
