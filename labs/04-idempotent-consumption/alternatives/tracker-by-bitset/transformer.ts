/** Not this alternative's subject: the reference's transformer.ts. */
export * from "../../solution/transformer.ts";
