/**
 * L4.F Consume-transform-produce, Kafka's way: UNDER CONSTRUCTION (docs/design/lab-04.md, section
 * 3.6: the broker's group and offset requests come first). Until then it answers as the stub does.
 */
import { NotImplemented } from "#lab";
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function runTransformer(ctx: TransformerContext): Promise<void> {
  void ctx;
  throw new NotImplemented("L4.F");
}
