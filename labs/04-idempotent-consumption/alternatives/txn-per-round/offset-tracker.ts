/** Not this alternative's subject (its transformer.ts is): the reference's offset-tracker.ts. */
export { openTracker } from "../../solution/offset-tracker.ts";
