import { isPostgresUrl } from "./postgres/connection.js";
import { createPostgresStore, type PostgresStoreOptions } from "./postgres/store.js";
import { openStore } from "./store.js";
import type { OpenStoreOptions, Store } from "./types.js";

export type OpenStoreUrlOptions = OpenStoreOptions & Pick<PostgresStoreOptions, "schema" | "maxConnections">;

/**
 * The store at `location`: a `postgres://` URL opens the PostgreSQL backend, anything else is a SQLite
 * file (or `:memory:`). Resolves once the store is usable: a server that cannot be reached, or refuses the
 * password, rejects with one line naming host and database (never the password).
 */
export async function openStoreUrl(location: string, options: OpenStoreUrlOptions = {}): Promise<Store> {
  const store = storeAt(location, options);
  if (isPostgresUrl(location)) await store.checkFile();
  return store;
}

/**
 * Like `openStoreUrl` without waiting: a PostgreSQL store connects in the background and its first call
 * rejects if that failed. For callers that must open synchronously.
 */
export function storeAt(location: string, options: OpenStoreUrlOptions = {}): Store {
  if (!isPostgresUrl(location)) return openStore(location, options);
  return createPostgresStore(location, {
    readOnly: options.readOnly,
    schema: options.schema,
    maxConnections: options.maxConnections,
  });
}
