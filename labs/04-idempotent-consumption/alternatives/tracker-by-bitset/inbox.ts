/** Not this alternative's subject: the reference's inbox.ts. */
export * from "../../solution/inbox.ts";
