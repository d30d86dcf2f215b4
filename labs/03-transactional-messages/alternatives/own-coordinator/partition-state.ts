/** Not this alternative's subject: the reference's partition-state.ts. */
export * from "../../solution/partition-state.ts";
