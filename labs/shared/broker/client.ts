/**
 * A typed client for the broker: one method per request, each returning the reply or `maybe`.
 *
 * This is what lab code uses to talk to the broker. It adds types and nothing else: no retries, no
 * caching, no hidden timeouts beyond the one given. What to do with a `maybe` is the caller's
 * decision, and in the ordering labs that decision is the lesson.
 */
import type { Net, RequestOutcome } from "#lab";
import type { BrokerRequest, ReplyOf } from "./protocol.ts";

export class BrokerClient {
  constructor(
    private readonly net: Net,
    readonly brokerId: string,
    readonly timeoutMs: number,
  ) {}

  call<TRequest extends BrokerRequest>(request: TRequest): Promise<RequestOutcome<ReplyOf[TRequest["type"]]>> {
    return this.net.request<ReplyOf[TRequest["type"]]>(this.brokerId, request, { timeoutMs: this.timeoutMs });
  }
}
