import { randomBytes } from "node:crypto";
import pg from "pg";
import { parsePostgresUrl } from "../postgres/connection.js";
import { openPostgresStore, type PostgresStoreOptions } from "../postgres/store.js";
import type { Store } from "../types.js";

/** The server tests use: `AFLAB_TEST_PG`, else the project machines' local PostgreSQL. */
export const defaultTestPostgresUrl = "postgres://127.0.0.1:5432/test";

export interface TestPostgres {
  /** The server's URL, or undefined when tests that need it are skipped. */
  url: string | undefined;
  /** Opens a store in a schema of its own (fresh and empty), dropped by `cleanUp`. */
  openStore(options?: PostgresStoreOptions): Promise<Store>;
  /** A new schema name, for processes that open the store themselves (`?` not in URLs: pass `schema`). */
  newSchema(): string;
  /** The server's URL with `?schema=` naming a new schema: for CLI processes. */
  schemaUrl(): string;
  /** Drops every schema made here. */
  cleanUp(): Promise<void>;
}

/**
 * Finds the PostgreSQL server for a test file. Unreachable outside CI: the tests are skipped, with one line
 * saying how to start one. Unreachable under `CI=true`: throws, so a missing server fails the run instead
 * of passing it on tests that never ran.
 */
export async function findTestPostgres(env: NodeJS.ProcessEnv = process.env): Promise<TestPostgres> {
  const url = env.AFLAB_TEST_PG?.trim() || defaultTestPostgresUrl;
  const target = parsePostgresUrl(url);
  const reason = await reachable(target.connectionString);
  const schemas: string[] = [];
  const newSchema = () => {
    const name = `aflab_test_${randomBytes(6).toString("hex")}`;
    schemas.push(name);
    return name;
  };
  if (reason !== undefined) {
    const where = `${target.host}:${target.port} database ${target.database}`;
    if (env.CI === "true") {
      throw new Error(`PostgreSQL tests need a server at ${where} (AFLAB_TEST_PG): ${reason}`);
    }
    process.stderr.write(
      `skipping PostgreSQL tests: no server at ${where} (${reason}); start one with apt-get install postgresql, or set AFLAB_TEST_PG\n`,
    );
    return {
      url: undefined,
      openStore: () => Promise.reject(new Error("no PostgreSQL server for tests")),
      newSchema,
      schemaUrl: () => {
        throw new Error("no PostgreSQL server for tests");
      },
      cleanUp: async () => undefined,
    };
  }
  return {
    url,
    openStore: (options = {}) =>
      openPostgresStore(url, { ...options, schema: options.schema ?? newSchema() }),
    newSchema,
    schemaUrl() {
      const withSchema = new URL(url);
      withSchema.searchParams.set("schema", newSchema());
      return withSchema.toString();
    },
    async cleanUp() {
      if (schemas.length === 0) return;
      const client = new pg.Client({ connectionString: target.connectionString });
      await client.connect();
      try {
        for (const schema of schemas.splice(0)) {
          // A queue (pg-boss, worker heartbeats) keeps its tables in a schema beside the store's.
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await client.query(`DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
        }
      } finally {
        await client.end();
      }
    },
  };
}

/** Undefined when a connection succeeds, else why not. */
async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}
