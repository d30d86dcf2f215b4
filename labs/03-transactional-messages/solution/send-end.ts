/**
 * L3.B, the end request: sent, and sent again (the same decision) while unanswered, three times
 * at most. It need not be delivered at all: a half whose end never arrives is checked, and the
 * check's answer comes from the same database. Retrying only makes the common case faster, and a
 * retry that lands twice is harmless because the broker keeps a half's first outcome (L3.C).
 */
import type { BrokerClient } from "#labs/03-transactional-messages/provided.ts";
import type { EndTransactionRequest } from "#labs/shared/broker/protocol.ts";

const ATTEMPTS = 3;

export async function endWith(client: BrokerClient, request: EndTransactionRequest): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if ((await client.call(request)).kind === "ok") return;
  }
}
