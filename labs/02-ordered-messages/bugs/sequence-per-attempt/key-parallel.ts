/** Not part of this bug: the reference solution's file. */
export { runKeyParallelQueue } from "../../solution/key-parallel.ts";
