/**
 * An in-process network for real-time runs: the same `Net` contract as the simulation (messages
 * are copied; a request without a reply in time is `maybe`), delivered on the real event loop.
 *
 * A node that `leave`s is a dead process, as a crashed incarnation is in the simulation: what it
 * still tries to send goes nowhere, nothing reaches it, a reply it computes is never sent, and its
 * pending requests never settle (their timeouts are cancelled too). What it sent before leaving is
 * already on the wire and still arrives. The id can then `join` again: a new incarnation, whose
 * `Net` is a new one; the old one stays dead.
 */
import type { MessageHandler, Net, RequestHandler, RequestOutcome } from "../env.ts";

/** One incarnation's place on the network. */
interface Endpoint {
  alive: boolean;
  onMessage?: MessageHandler;
  onRequest?: RequestHandler;
  /** The timeouts of its pending requests, cancelled when it leaves. */
  readonly timeouts: Set<ReturnType<typeof setTimeout>>;
}

export class RealNetwork {
  private readonly endpoints = new Map<string, Endpoint>();

  /** Puts a node on the network. Fails if the id is on it already (leave first). */
  join(nodeId: string): Net {
    if (this.endpoints.has(nodeId)) throw new Error(`'${nodeId}' is already on this network: leave first`);
    const me: Endpoint = { alive: true, timeouts: new Set() };
    this.endpoints.set(nodeId, me);
    return {
      send: (to, message) => {
        if (!me.alive) return;
        const copy = structuredClone(message);
        setImmediate(() => {
          const target = this.endpoints.get(to);
          if (target?.alive) target.onMessage?.(nodeId, copy);
        });
      },
      request: <TReply>(to: string, request: unknown, options: { timeoutMs: number }) => {
        // A dead process waits forever: nothing it asks is sent, nothing answers it.
        if (!me.alive) return new Promise<RequestOutcome<TReply>>(() => {});
        return new Promise<RequestOutcome<TReply>>((resolve) => {
          const copy = structuredClone(request);
          const timeout = setTimeout(() => {
            me.timeouts.delete(timeout);
            resolve({ kind: "maybe", reason: "timeout" });
          }, options.timeoutMs);
          me.timeouts.add(timeout);
          setImmediate(async () => {
            const target = this.endpoints.get(to);
            const handler = target?.onRequest;
            if (target === undefined || handler === undefined) return;
            let reply: TReply;
            try {
              reply = structuredClone(await handler(nodeId, copy)) as TReply;
            } catch {
              // A handler that throws sends no reply: the caller times out with `maybe`.
              return;
            }
            // A replier that died meanwhile sends nothing; a requester that died hears nothing.
            if (!target.alive || !me.alive || !me.timeouts.delete(timeout)) return;
            clearTimeout(timeout);
            resolve({ kind: "ok", reply });
          });
        });
      },
      onMessage: (handler) => {
        me.onMessage = handler;
      },
      onRequest: (handler) => {
        me.onRequest = handler;
      },
    };
  }

  /**
   * Takes a node off the network, as its process dies: see the header. Does nothing for an id that
   * is not on it.
   */
  leave(nodeId: string): void {
    const me = this.endpoints.get(nodeId);
    if (me === undefined) return;
    this.endpoints.delete(nodeId);
    me.alive = false;
    for (const timeout of me.timeouts) clearTimeout(timeout);
    me.timeouts.clear();
  }

  /** Whether a node is on the network now. */
  has(nodeId: string): boolean {
    return this.endpoints.has(nodeId);
  }
}
