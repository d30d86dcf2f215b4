export * from "../../solution/consume-queue.ts";
