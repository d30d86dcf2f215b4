/** Not this alternative's subject: the reference's check-service.ts. */
export * from "../../solution/check-service.ts";
