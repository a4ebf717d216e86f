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
  options: { connectTimeoutSeconds?: number } = {},
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
  return { db: drizzle(sql, { schema }) };
}

/** The handle a `db.transaction(...)` callback receives. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
