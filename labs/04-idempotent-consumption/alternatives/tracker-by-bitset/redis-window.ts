/** Not this alternative's subject: the reference's redis-window.ts. */
export * from "../../solution/redis-window.ts";
