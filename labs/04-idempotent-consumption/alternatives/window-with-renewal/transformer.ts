/** Not this alternative's subject (its redis-window.ts is): the reference's transformer.ts. */
export { runTransformer } from "../../solution/transformer.ts";
