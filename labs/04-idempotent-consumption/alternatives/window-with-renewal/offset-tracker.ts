/** Not this alternative's subject (its redis-window.ts is): the reference's offset-tracker.ts. */
export { openTracker } from "../../solution/offset-tracker.ts";
