/**
 * Exact kill points for real runs, where a timed kill could land anywhere: each wrapper calls
 * `kill` at one precise step of the process, and the step's caller never hears back, as if the
 * process died right there. Real time cannot aim a crash between two statements; these can.
 *
 * They only decide *when*: `kill` is what makes the process dead (`RealIncarnation.kill`, which
 * silences its clock, network and database). A wrapper that fired also keeps every later call of
 * its own pending, so that it stays dead even around a `kill` that does less.
 */
import type { Database, Transaction } from "../db.ts";
import type { Net, RequestOutcome } from "../env.ts";
import type { Redis } from "../redis.ts";

/** Which requests a kill point counts. */
export type RequestFilter = (to: string, request: unknown) => boolean;

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/**
 * A `Net` that kills the process right after its `n`-th request (of those `which` accepts; all by
 * default) was sent: the request is on the wire and arrives, and its reply is never heard. One-way
 * `send`s are not counted.
 */
export function killAtSend(net: Net, n: number, kill: () => void, which: RequestFilter = () => true): Net {
  checkCount(n);
  let counted = 0;
  let fired = false;
  return {
    send: (to, message) => {
      if (!fired) net.send(to, message);
    },
    request: <TReply>(to: string, request: unknown, options: { timeoutMs: number }) => {
      if (fired) return never<RequestOutcome<TReply>>();
      const reply = net.request<TReply>(to, request, options);
      if (which(to, request) && ++counted === n) {
        fired = true;
        kill();
        return never<RequestOutcome<TReply>>();
      }
      return reply;
    },
    onMessage: (handler) => net.onMessage(handler),
    onRequest: (handler) => net.onRequest(handler),
  };
}

/**
 * A `Database` that kills the process when its `n`-th committed transaction's promise resolves,
 * before the caller's continuation runs: the transaction is committed on the database, and the
 * process never learns it ("committed locally, nothing done about it"). Transactions that fail are
 * not counted.
 */
export function killAfterCommit(db: Database, n: number, kill: () => void): Database {
  const point = killAfterNth(n, kill);
  return {
    transaction: <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => point.counted(() => db.transaction(work)),
  };
}

/**
 * A `Redis` that kills the process when its `n`-th write (SET, DEL, PEXPIRE and the two scripts,
 * whatever their answer) has been answered, before the caller's continuation runs: the write took
 * effect on the server, and the process never learns it. Reads (GET, PTTL) and failed commands are
 * not counted.
 */
export function killAfterRedisWrite(redis: Redis, n: number, kill: () => void): Redis {
  const point = killAfterNth(n, kill);
  const write =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      point.counted(() => call(...args));
  const read =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      point.fired ? never<R>() : call(...args);
  return {
    set: write(redis.set),
    del: write(redis.del),
    pexpire: write(redis.pexpire),
    delIfEquals: write(redis.delIfEquals),
    pexpireIfEquals: write(redis.pexpireIfEquals),
    get: read(redis.get),
    pttl: read(redis.pttl),
  };
}

/**
 * Kills the process right after `promise` resolves, before anyone awaiting the returned promise
 * goes on (it never settles then). A rejection passes through and kills nothing. Awaiting
 * `promise` itself elsewhere is not covered: hand the returned promise to the code to stop.
 */
export function killAfterResolve<T>(promise: Promise<T>, kill: () => void): Promise<T> {
  return new Promise<T>((_, reject) => {
    promise.then(() => kill(), reject);
  });
}

/**
 * The count behind killAfterCommit and killAfterRedisWrite: `counted` runs a call and, when the
 * `n`-th counted call resolves, kills instead of answering; from then on every counted call stays
 * pending. A rejected call passes its error on and is not counted.
 */
function killAfterNth(n: number, kill: () => void) {
  checkCount(n);
  let resolved = 0;
  let fired = false;
  return {
    get fired() {
      return fired;
    },
    counted<T>(call: () => Promise<T>): Promise<T> {
      if (fired) return never<T>();
      return new Promise<T>((resolve, reject) => {
        call().then(
          (value) => {
            if (fired) return;
            if (++resolved === n) {
              fired = true;
              kill();
              return;
            }
            resolve(value);
          },
          (error: unknown) => {
            if (!fired) reject(error);
          },
        );
      });
    },
  };
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a kill point counts from 1, not ${n}`);
}
