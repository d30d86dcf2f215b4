/** Not written: L4.F is not built yet (the lab is under construction). */
import { NotImplemented } from "#lab";
import type { TransformerContext } from "#labs/04-idempotent-consumption/provided.ts";

export async function runTransformer(ctx: TransformerContext): Promise<void> {
  void ctx;
  throw new NotImplemented("L4.F");
}
