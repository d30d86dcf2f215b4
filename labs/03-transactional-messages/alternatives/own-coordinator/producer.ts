/** Not this alternative's subject: the reference's producer.ts. */
export * from "../../solution/producer.ts";
