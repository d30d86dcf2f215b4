/** Not this alternative's subject: the reference's handler.ts. */
export * from "../../solution/handler.ts";
