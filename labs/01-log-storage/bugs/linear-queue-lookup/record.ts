export * from "../../solution/record.ts";
