/**
 * The base of the errors the world's outside services report to lab code: the business
 * database's `DatabaseError` (db.ts) and Redis's `RedisError` (redis.ts). Each carries a `code`
 * that says which failure it is, so that lab code can branch on it; each service adds what its
 * callers must know (did the commit, or the command, definitely not happen?).
 */
export class ServiceError<TCode extends string> extends Error {
  constructor(
    readonly code: TCode,
    message: string,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}
