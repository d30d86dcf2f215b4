/**
 * A server a URL names does not answer: the caller's mistake (a wrong `DATABASE_URL` or
 * `REDIS_URL`, a server not started), never replaced by another store. The CLI prints its message
 * as one line and exits with 2, as for any bad input.
 */
export class ServerUnreachable extends Error {
  /** `what`: "Redis at 127.0.0.1:6379 (REDIS_URL)"; `why`: the client's first line. */
  constructor(what: string, why: string) {
    super(`${what} does not answer: ${why.split("\n")[0] ?? why}`);
    this.name = "ServerUnreachable";
  }
}
