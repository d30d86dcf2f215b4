/** Not this alternative's subject: the reference's recovery.ts. */
export * from "../../solution/recovery.ts";
