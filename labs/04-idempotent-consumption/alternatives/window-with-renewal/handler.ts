/** Not this alternative's subject (its redis-window.ts is): the reference's handler.ts. */
export { handle } from "../../solution/handler.ts";
