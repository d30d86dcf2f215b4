/** Not this alternative's subject (its transformer.ts is): the reference's redis-window.ts. */
export { handleWithWindow } from "../../solution/redis-window.ts";
