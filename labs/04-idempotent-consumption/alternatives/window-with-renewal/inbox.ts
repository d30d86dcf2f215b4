/** Not this alternative's subject (its redis-window.ts is): the reference's inbox.ts. */
export { claim } from "../../solution/inbox.ts";
