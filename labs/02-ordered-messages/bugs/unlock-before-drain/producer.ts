/** Not part of this bug: the reference solution's file. */
export { type OrderedProducer, openProducer, type Sent } from "../../solution/producer.ts";
