/** Not this alternative's subject: the reference's coordinator.ts. */
export * from "../../solution/coordinator.ts";
