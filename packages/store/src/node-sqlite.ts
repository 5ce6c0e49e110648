import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import type {
  SqliteConnection,
  SqliteRunResult,
  SqliteStatement,
  SqliteTransaction,
} from "./sqlite-connection.js";

/** What this adapter uses of `node:sqlite` (typed here: the Node 20 type definitions the packages build with lack it). */
interface NodeDatabase {
  readonly isTransaction?: boolean;
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
  /** Node 24; missing on 22. */
  deserialize?(bytes: Uint8Array): void;
}

interface NodeStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

interface NodeSqliteModule {
  DatabaseSync: new (
    location: string,
    options?: { readOnly?: boolean; enableForeignKeyConstraints?: boolean },
  ) => NodeDatabase;
}

let loaded: NodeSqliteModule | null | undefined;

/**
 * `node:sqlite`, or undefined on a Node without it (20, and 22 before 22.13 where it needs a flag).
 * Node 22 announces it with an ExperimentalWarning on every load; the store's use of it is tested here, so
 * that one warning is kept off the CLI's output. Any other warning passes through.
 */
export function nodeSqliteModule(): NodeSqliteModule | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const module = process.getBuiltinModule?.("node:sqlite") as NodeSqliteModule | undefined;
    loaded = module?.DatabaseSync ? module : null;
  } catch {
    loaded = null;
  } finally {
    process.emitWarning = emitWarning;
  }
  return loaded ?? undefined;
}

/** Node 22's `node:sqlite` binds text up to its first NUL character, silently dropping the rest; 24 keeps it all. */
export function nodeSqliteCutsText(): boolean {
  return Number(process.versions.node.split(".")[0]) < 24;
}

/** Where text would be cut, refuse it instead: a store never keeps less than it was given. */
function checkText(params: unknown[]): unknown[] {
  for (const param of params) {
    const values = param !== null && typeof param === "object" ? Object.values(param) : [param];
    if (values.some((value) => typeof value === "string" && value.includes("\u0000"))) {
      throw new InputError(
        `Node ${process.versions.node}'s node:sqlite cannot store text containing a NUL character: use Node 24 or the better-sqlite3 driver`,
        { field: "driver" },
      );
    }
  }
  return params;
}

function firstColumn(row: unknown): unknown {
  if (row === undefined) return undefined;
  for (const key in row as Record<string, unknown>) return (row as Record<string, unknown>)[key];
  return undefined;
}

class NodeSqliteStatement implements SqliteStatement {
  private plucking = false;
  private readonly bind: (params: unknown[]) => unknown[] = nodeSqliteCutsText()
    ? checkText
    : (params) => params;

  constructor(private readonly statement: NodeStatement) {}

  run(...params: unknown[]): SqliteRunResult {
    const { changes, lastInsertRowid } = this.statement.run(...this.bind(params));
    return { changes, lastInsertRowid };
  }

  get(...params: unknown[]): unknown {
    const row = this.statement.get(...this.bind(params));
    return this.plucking ? firstColumn(row) : row;
  }

  all(...params: unknown[]): unknown[] {
    const rows = this.statement.all(...this.bind(params));
    return this.plucking ? rows.map(firstColumn) : rows;
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    for (const row of this.statement.iterate(...this.bind(params)))
      yield this.plucking ? firstColumn(row) : row;
  }

  pluck(toggle = true): SqliteStatement {
    this.plucking = toggle;
    return this;
  }
}

/** A `node:sqlite` database behind the better-sqlite3-shaped `SqliteConnection`. */
class NodeSqliteConnection implements SqliteConnection {
  private depth = 0;
  private closed = false;

  constructor(
    private readonly database: NodeDatabase,
    private readonly onClose: () => void = () => {},
  ) {}

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    return this.database.isTransaction ?? this.depth > 0;
  }

  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatement(this.database.prepare(sql));
  }

  exec(sql: string): this {
    this.database.exec(sql);
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const rows = this.database.prepare(`PRAGMA ${source}`).all();
    return options.simple ? firstColumn(rows[0]) : rows;
  }

  /** As better-sqlite3: BEGIN at the outside, a savepoint inside, rolled back when `work` throws. */
  transaction<T>(work: () => T): SqliteTransaction<T> {
    const inside = (begin: string): T => {
      const nested = this.inTransaction;
      this.database.exec(nested ? "SAVEPOINT aflab_nested" : begin);
      this.depth++;
      try {
        const result = work();
        this.database.exec(nested ? "RELEASE aflab_nested" : "COMMIT");
        return result;
      } catch (error) {
        // SQLite may have rolled back already (some errors end the transaction themselves).
        if (this.inTransaction) {
          this.database.exec(nested ? "ROLLBACK TO aflab_nested; RELEASE aflab_nested" : "ROLLBACK");
        }
        throw error;
      } finally {
        this.depth--;
      }
    };
    return Object.assign(() => inside("BEGIN"), { immediate: () => inside("BEGIN IMMEDIATE") });
  }

  close(): this {
    if (this.closed) return this;
    this.database.close();
    this.closed = true;
    this.onClose();
    return this;
  }
}

/**
 * Open a database file, `:memory:`, or the bytes of a database file (always read-only, as better-sqlite3
 * does). Bytes load in memory where Node can (24); Node 22 cannot deserialize, so they go through a private
 * temporary file, removed on close.
 */
export function openNodeSqlite(
  source: string | Uint8Array,
  options: { readonly: boolean; timeout: number },
): SqliteConnection {
  const sqlite = nodeSqliteModule();
  if (!sqlite) throw new Error("node:sqlite is not available");
  let connection: NodeSqliteConnection;
  if (typeof source === "string") {
    connection = new NodeSqliteConnection(new sqlite.DatabaseSync(source, { readOnly: options.readonly }));
  } else {
    const memory = new sqlite.DatabaseSync(":memory:");
    if (memory.deserialize) {
      memory.deserialize(source);
      memory.exec("PRAGMA query_only = ON");
      connection = new NodeSqliteConnection(memory);
    } else {
      memory.close();
      const directory = mkdtempSync(join(tmpdir(), "aflab-store-"));
      const file = join(directory, "archive.db");
      writeFileSync(file, source, { mode: 0o600 });
      connection = new NodeSqliteConnection(new sqlite.DatabaseSync(file, { readOnly: true }), () =>
        rmSync(directory, { recursive: true, force: true }),
      );
    }
  }
  // better-sqlite3's build settings, so both drivers behave (and perform) alike.
  connection.exec(`PRAGMA busy_timeout = ${Math.trunc(options.timeout)}; PRAGMA cache_size = -16000`);
  return connection;
}
