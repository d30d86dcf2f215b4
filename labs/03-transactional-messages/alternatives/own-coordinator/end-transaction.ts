/** Not this alternative's subject: the reference's end-transaction.ts. */
export * from "../../solution/end-transaction.ts";
