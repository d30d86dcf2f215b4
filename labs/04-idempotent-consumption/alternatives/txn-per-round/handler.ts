/** Not this alternative's subject (its transformer.ts is): the reference's handler.ts. */
export { handle } from "../../solution/handler.ts";
