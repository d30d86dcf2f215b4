/**
 * Not this alternative's subject (it was written before L4.F existed): the reference's
 * transformer.ts. L4.F's own alternative is txn-per-round.
 */
export * from "../../solution/transformer.ts";
