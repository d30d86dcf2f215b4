/** Not part of this bug: the reference solution's file. */
export { type OrderlyConsumer, openConsumer } from "../../solution/consumer.ts";
