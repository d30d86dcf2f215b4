/** Not this alternative's subject (its redis-window.ts is): the reference's business-key.ts. */
export { businessKey } from "../../solution/business-key.ts";
