import pg from "pg";

/**
 * bigint (COUNT, SUM of integers, BIGSERIAL ids) and numeric (SUM of bigints) arrive as strings by default,
 * because they can exceed 2^53. Counts and token sums of a run stay far below that, and the `Store`
 * interface speaks numbers, so this pool reads both as numbers.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) {
      return (value: string) => Number(value);
    }
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function createPool(config: pg.PoolConfig): pg.Pool {
  return new pg.Pool({ ...config, types });
}

/**
 * Rewrites `?` placeholders to PostgreSQL's `$1, $2, ...`, leaving quoted text alone, so table modules and
 * the shared filter builders (`sample-query.ts`) write one placeholder style for both backends.
 */
export function numberPlaceholders(sql: string): string {
  let result = "";
  let count = 0;
  let quoted = false;
  for (const character of sql) {
    if (character === "'") quoted = !quoted;
    if (character === "?" && !quoted) {
      count += 1;
      result += `$${count}`;
    } else {
      result += character;
    }
  }
  return result;
}

type Queryable = pg.Pool | pg.PoolClient;

/**
 * A PostgreSQL pool, or one client holding a transaction. Every table module takes this handle, as the
 * SQLite modules take `SqliteDb`: `transaction` is the one place that knows how a transaction is held,
 * and inside one, `work` receives a handle bound to that client (nested calls join it).
 */
export class PgDb {
  private readonly target: Queryable;
  private readonly inTransaction: boolean;

  constructor(target: Queryable, inTransaction = false) {
    this.target = target;
    this.inTransaction = inTransaction;
  }

  async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<Row>> {
    return this.target.query<Row>(numberPlaceholders(sql), params);
  }

  async get<Row extends pg.QueryResultRow>(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.query<Row>(sql, params)).rows[0];
  }

  async all<Row extends pg.QueryResultRow>(sql: string, ...params: unknown[]): Promise<Row[]> {
    return (await this.query<Row>(sql, params)).rows;
  }

  /** The first column of every row. */
  async column<Value>(sql: string, ...params: unknown[]): Promise<Value[]> {
    const result = await this.query(sql, params);
    const name = result.fields[0]?.name;
    return name === undefined ? [] : result.rows.map((row) => row[name] as Value);
  }

  /** Runs a statement; resolves to the number of rows it changed. */
  async run(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async transaction<T>(work: (db: PgDb) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    const client = await (this.target as pg.Pool).connect();
    try {
      await client.query("BEGIN");
      const result = await work(new PgDb(client, true));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Serialises writers of one key (e.g. one sample of one run) until the transaction ends. Rows that do
   * not exist yet cannot be locked with FOR UPDATE; a transaction-scoped advisory lock on the key's hash
   * can, and is released by COMMIT or ROLLBACK whatever happens.
   */
  async lockKey(...parts: string[]): Promise<void> {
    await this.run("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", parts.join("\u001f"));
  }
}
