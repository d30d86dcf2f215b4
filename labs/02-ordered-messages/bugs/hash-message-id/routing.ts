/** Not part of this bug: the reference solution's file. */
export { javaStringHashCode, selectQueue } from "../../solution/routing.ts";
