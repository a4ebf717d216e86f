import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Database = PostgresJsDatabase<typeof schema>;

/**
 * One client per request: Hyperdrive pools the real connections, and a Worker may not share sockets
 * across requests. It is not `end()`ed when the response is sent, since background work (`waitUntil`)
 * may still query; the runtime closes the request's sockets when all of it is done. (Closing used to
 * leave an unhandled rejection behind on workerd, porsager/postgres#1202; patches/ fixes that.)
 */
export function createDatabase(
  connectionString: string,
  options: { connectTimeoutSeconds?: number; transactionAttempts?: number } = {},
): { db: Database } {
  const sql = postgres(connectionString, {
    max: 5,
    // Hyperdrive caches prepared statements per connection; type fetching costs a round trip.
    fetch_types: false,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    // No idle timer: the runtime closes a request's sockets when the request ends.
    idle_timeout: 0,
    onnotice: () => {},
  });
  const db = drizzle(sql, { schema });
  return { db: withTransactionRetries(db, options.transactionAttempts) };
}

/** SQLSTATEs that mean "run the transaction again": serialization failure and deadlock. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
export const TRANSACTION_ATTEMPTS = 4;

/** The SQLSTATE along an error's cause chain (drizzle wraps the driver's error). */
export function sqlState(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

export function isRetryableTransactionError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && RETRYABLE_SQLSTATES.has(state);
}

/**
 * SQLSTATEs of a Postgres that is going away or not back yet: class 08 (the connection failed or was
 * lost), 57P01-57P03 (shut down by an administrator, after a crash, starting up) and 53300 (no
 * connection slot free).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/** The driver's own codes, and the socket's, for a connection it could not make or lost. */
const UNAVAILABLE_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
]);

/** True when an error along the cause chain says the database cannot be reached just now (an outage). */
export function isDatabaseUnavailableError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_CODES.has(code)))
      return true;
    current = current.cause;
  }
  return false;
}

/**
 * Every `db.transaction(...)` reruns its callback when Postgres aborts it as a deadlock victim or for a
 * serialization failure (the work was rolled back, so running it again is the documented remedy), a few
 * times with a short randomised pause. Callbacks therefore only touch the database: anything sent
 * elsewhere (QStash, Redis) happens after the commit or through the outbox. Retries are the fallback:
 * the lock order (services/writer-locks.ts) is what keeps the edge's own transactions from deadlocking.
 */
export function withTransactionRetries(db: Database, attempts = TRANSACTION_ATTEMPTS): Database {
  const run = db.transaction.bind(db);
  const transaction: Database["transaction"] = async (callback, config) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(callback, config);
      } catch (err) {
        if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 20));
      }
    }
  };
  return Object.assign(db, { transaction });
}

/** The handle a `db.transaction(...)` callback receives. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
