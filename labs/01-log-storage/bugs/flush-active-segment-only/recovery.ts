export * from "../../solution/recovery.ts";
