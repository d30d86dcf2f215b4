/**
 * An in-process network for real-time runs: the same `Net` contract as the simulation (messages
 * are copied; a request without a reply in time is `maybe`), delivered on the real event loop.
 */
import type { MessageHandler, Net, RequestHandler, RequestOutcome } from "../env.ts";

interface Endpoint {
  onMessage?: MessageHandler;
  onRequest?: RequestHandler;
}

export class RealNetwork {
  private readonly endpoints = new Map<string, Endpoint>();

  join(nodeId: string): Net {
    const endpoint: Endpoint = {};
    this.endpoints.set(nodeId, endpoint);
    return {
      send: (to, message) => {
        const copy = structuredClone(message);
        setImmediate(() => this.endpoints.get(to)?.onMessage?.(nodeId, copy));
      },
      request: <TReply>(to: string, request: unknown, options: { timeoutMs: number }) =>
        new Promise<RequestOutcome<TReply>>((resolve) => {
          const copy = structuredClone(request);
          const timer = setTimeout(() => resolve({ kind: "maybe", reason: "timeout" }), options.timeoutMs);
          setImmediate(async () => {
            const handler = this.endpoints.get(to)?.onRequest;
            if (handler === undefined) return;
            try {
              const reply = structuredClone(await handler(nodeId, copy)) as TReply;
              clearTimeout(timer);
              resolve({ kind: "ok", reply });
            } catch {
              // A handler that throws sends no reply: the caller times out with `maybe`.
            }
          });
        }),
      onMessage: (handler) => {
        endpoint.onMessage = handler;
      },
      onRequest: (handler) => {
        endpoint.onRequest = handler;
      },
    };
  }

  leave(nodeId: string): void {
    this.endpoints.delete(nodeId);
  }
}
