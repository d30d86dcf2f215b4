/** Not this alternative's subject (its transformer.ts is): the reference's inbox.ts. */
export { claim } from "../../solution/inbox.ts";
