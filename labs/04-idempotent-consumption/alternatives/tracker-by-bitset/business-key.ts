/** Not this alternative's subject: the reference's business-key.ts. */
export * from "../../solution/business-key.ts";
