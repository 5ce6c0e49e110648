import type { SqliteConnection, SqliteRunResult, SqliteStatement } from "./sqlite-connection.js";

/**
 * One SQLite connection with its compiled statements. Every table module takes this handle: statements are
 * compiled once per SQL text and shared by all modules, and `transaction` is the one place that knows how
 * SQLite takes its write lock.
 */
export class SqliteDb {
  readonly connection: SqliteConnection;
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(connection: SqliteConnection) {
    this.connection = connection;
  }

  statement(sql: string): SqliteStatement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.connection.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  get<Row>(sql: string, ...params: unknown[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, ...params: unknown[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  /** The first column of every row. */
  column<Value>(sql: string, ...params: unknown[]): Value[] {
    return this.statement(sql)
      .pluck()
      .all(...params) as Value[];
  }

  run(sql: string, ...params: unknown[]): SqliteRunResult {
    return this.statement(sql).run(...params);
  }

  transaction<T>(work: () => T): T {
    // IMMEDIATE takes the write lock up front, waiting out the busy timeout. A deferred transaction
    // that reads first and writes later cannot wait: when another connection (a second process on the
    // same file) writes in between, SQLite fails the upgrade at once with SQLITE_BUSY.
    return this.connection.transaction(work).immediate();
  }
}

/** Rows fetched per page when iterating: bounds memory whatever the run's size. */
export const PAGE_SIZE = 500;

/**
 * Lets other work of the process run between two pages of a long listing: each page is one synchronous
 * SQLite call, and a listing of a large run (a paired comparison, an export) would otherwise hold the
 * thread until its last page, keeping a server from answering anything else meanwhile.
 */
export function betweenPages(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
