import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { nodeSqliteCutsText, nodeSqliteModule, openNodeSqlite } from "./node-sqlite.js";

/**
 * The part of better-sqlite3's API the store uses, spelled out so that every table module runs unchanged
 * on either driver: better-sqlite3 (a native addon, compiled at install) or Node's own `node:sqlite`
 * (Node 22.13 and later, nothing to compile). better-sqlite3's objects have this shape already; the
 * `node:sqlite` one is adapted in node-sqlite.ts.
 */
export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** From now on return each row's first column instead of the row (as better-sqlite3: it changes the statement). */
  pluck(toggle?: boolean): SqliteStatement;
}

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A function that runs `work` in a transaction (a savepoint when one is open already). */
export interface SqliteTransaction<T> {
  (): T;
  /** BEGIN IMMEDIATE: take the write lock before running. */
  immediate(): T;
}

export interface SqliteConnection {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  /** `PRAGMA <source>`: its rows, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<T>(work: () => T): SqliteTransaction<T>;
  close(): unknown;
}

export const sqliteDriverSchema = z.enum(["node", "better-sqlite3"]);
/** `node`: Node's built-in `node:sqlite`; `better-sqlite3`: the native addon. */
export type SqliteDriver = z.infer<typeof sqliteDriverSchema>;

export interface SqliteOpenOptions {
  readonly?: boolean;
  /** Fail instead of creating the file when it is missing. */
  fileMustExist?: boolean;
  /** Milliseconds a statement waits for another connection's write lock. */
  timeout?: number;
  /**
   * Default: `AFLAB_SQLITE_DRIVER` when set, else `node` on Node 24 and later, else `better-sqlite3` when it is
   * installed, else `node` on Node 22.13 and later. (Node 22's `node:sqlite` cuts text at a NUL character, so
   * there the adapter refuses such text; better-sqlite3 is preferred on 22.)
   */
  driver?: SqliteDriver;
}

type BetterSqlite3 = new (
  source: string | Uint8Array,
  options: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => SqliteConnection;

const require = createRequire(import.meta.url);

/** better-sqlite3, loaded only when chosen: it is an optional peer dependency, absent where it is not needed. */
function betterSqlite3(): BetterSqlite3 {
  try {
    return require("better-sqlite3") as BetterSqlite3;
  } catch (error) {
    const missing = (error as { code?: string }).code === "MODULE_NOT_FOUND";
    throw new InputError(
      missing
        ? `the SQLite driver better-sqlite3 is not installed: on Node ${process.versions.node} run \`npm install better-sqlite3\`, or use Node 24, whose built-in SQLite needs nothing installed`
        : `the SQLite driver better-sqlite3 does not load on Node ${process.versions.node}: ${(error as Error).message}`,
      { field: "driver" },
    );
  }
}

let betterSqlite3Loads: boolean | undefined;

/** Whether better-sqlite3 is installed and built for this Node. Its native part loads with the first database. */
function betterSqlite3Available(): boolean {
  if (betterSqlite3Loads === undefined) {
    try {
      new (betterSqlite3())(":memory:", {}).close();
      betterSqlite3Loads = true;
    } catch {
      betterSqlite3Loads = false;
    }
  }
  return betterSqlite3Loads;
}

/** The drivers that load here. */
export function availableSqliteDrivers(): SqliteDriver[] {
  const drivers: SqliteDriver[] = [];
  if (nodeSqliteModule()) drivers.push("node");
  if (betterSqlite3Available()) drivers.push("better-sqlite3");
  return drivers;
}

/** The driver `openSqlite` uses for `requested` (see `SqliteOpenOptions.driver`). */
export function resolveSqliteDriver(requested?: SqliteDriver): SqliteDriver {
  const fromEnvironment = process.env.AFLAB_SQLITE_DRIVER || undefined;
  const choice =
    requested !== undefined
      ? parseOrThrow(sqliteDriverSchema, requested, "store option driver")
      : fromEnvironment !== undefined
        ? parseOrThrow(sqliteDriverSchema, fromEnvironment, "AFLAB_SQLITE_DRIVER")
        : undefined;
  if (choice === "node" && !nodeSqliteModule()) {
    throw new InputError(`Node ${process.versions.node} has no node:sqlite: it needs Node 22.13 or later`, {
      field: "driver",
    });
  }
  if (choice) return choice;
  if (nodeSqliteModule() && !nodeSqliteCutsText()) return "node";
  return betterSqlite3Available() || !nodeSqliteModule() ? "better-sqlite3" : "node";
}

/**
 * Open a SQLite database: a file path, `:memory:`, or (read-only) the bytes of a database file.
 *
 * @example
 * const connection = openSqlite("results.db", { readonly: true, fileMustExist: true });
 */
export function openSqlite(source: string | Uint8Array, options: SqliteOpenOptions = {}): SqliteConnection {
  const driver = resolveSqliteDriver(options.driver);
  const { readonly = false, fileMustExist = false, timeout = 5000 } = options;
  if (driver === "better-sqlite3") {
    const Database = betterSqlite3();
    return new Database(source, { readonly, fileMustExist, timeout });
  }
  if (typeof source === "string" && fileMustExist && source !== ":memory:" && !existsSync(source)) {
    throw new InputError(`no database file at ${source}`, { field: "path" });
  }
  return openNodeSqlite(source, { readonly, timeout });
}
