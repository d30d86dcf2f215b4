/** Not this alternative's subject (its transformer.ts is): the reference's business-key.ts. */
export { businessKey } from "../../solution/business-key.ts";
