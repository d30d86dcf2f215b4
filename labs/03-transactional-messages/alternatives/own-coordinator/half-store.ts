/** Not this alternative's subject: the reference's half-store.ts. */
export * from "../../solution/half-store.ts";
