import { InputError } from "@aflab/core";
import type pg from "pg";
import type { Migration } from "../migrations.js";
import { postgresAggregateTablesSql } from "./aggregate-schema.js";

// Text compares byte by byte, as in SQLite (BINARY), whatever the server's locale: listings sort the same
// on both backends, and LIKE patterns and ILIKE fold ASCII only.
const text = 'TEXT COLLATE "C"';

/**
 * The PostgreSQL schema, step for step the concepts of the SQLite migrations (`../migrations.ts`) with
 * PostgreSQL types: BIGSERIAL ids, BIGINT token counts and epoch milliseconds, DOUBLE PRECISION for
 * SQLite's REAL, and a `seq` column where SQLite orders by rowid. Append-only like the SQLite list; a
 * table added there gets its own step here (see the README for the pattern).
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE sweeps (
  id ${text} PRIMARY KEY,
  seq BIGSERIAL NOT NULL,
  config ${text} NOT NULL,
  created_at ${text} NOT NULL
);

CREATE TABLE runs (
  id ${text} PRIMARY KEY,
  seq BIGSERIAL NOT NULL,
  created_at ${text} NOT NULL,
  updated_at ${text} NOT NULL,
  status ${text} NOT NULL,
  config ${text} NOT NULL,
  model ${text} NOT NULL,
  setting ${text} NOT NULL,
  label ${text},
  simulated INTEGER NOT NULL,
  prompt_hash ${text} NOT NULL,
  total INTEGER NOT NULL,
  sweep_id ${text} REFERENCES sweeps(id) ON DELETE SET NULL,
  error ${text}
);
CREATE INDEX runs_by_created ON runs(created_at, seq);
CREATE INDEX runs_by_status ON runs(status, created_at);
CREATE INDEX runs_by_sweep ON runs(sweep_id, created_at);

CREATE TABLE system_prompts (
  hash ${text} PRIMARY KEY,
  text ${text} NOT NULL,
  created_at ${text} NOT NULL
);

CREATE TABLE samples (
  id BIGSERIAL PRIMARY KEY,
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key ${text} NOT NULL,
  sample_index INTEGER NOT NULL,
  item_id ${text} NOT NULL,
  query ${text} NOT NULL,
  tier ${text} NOT NULL,
  epoch INTEGER NOT NULL,
  system_prompt_hash ${text} NOT NULL,
  status ${text} NOT NULL,
  failure_kind ${text},
  failure_message ${text},
  flags ${text} NOT NULL,
  output ${text},
  scratchpad ${text},
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION,
  retries INTEGER NOT NULL,
  latency_ms DOUBLE PRECISION NOT NULL,
  started_at ${text} NOT NULL,
  finished_at ${text} NOT NULL,
  UNIQUE (run_id, key)
);
CREATE INDEX samples_by_index ON samples(run_id, sample_index, id);
CREATE INDEX samples_by_status ON samples(run_id, status, sample_index);
CREATE INDEX samples_by_tier ON samples(run_id, tier, sample_index);
CREATE INDEX samples_by_failure ON samples(run_id, failure_kind) WHERE failure_kind IS NOT NULL;

CREATE TABLE turns (
  sample_id BIGINT NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  turn_index INTEGER NOT NULL,
  role ${text} NOT NULL,
  content ${text} NOT NULL,
  input_tokens BIGINT,
  output_tokens BIGINT,
  cache_write_tokens BIGINT,
  cache_read_tokens BIGINT,
  stop_reason ${text},
  prefill ${text},
  latency_ms DOUBLE PRECISION,
  cached INTEGER,
  PRIMARY KEY (sample_id, turn_index)
);

CREATE TABLE verdicts (
  run_id ${text} NOT NULL,
  sample_key ${text} NOT NULL,
  classifier ${text} NOT NULL,
  status ${text} NOT NULL,
  decision ${text},
  score DOUBLE PRECISION,
  judge_model ${text},
  prompt_version ${text} NOT NULL,
  criteria ${text},
  quotes ${text} NOT NULL,
  raw ${text} NOT NULL,
  failure_kind ${text},
  failure_message ${text},
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION,
  created_at ${text} NOT NULL,
  PRIMARY KEY (run_id, sample_key, classifier),
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
CREATE INDEX verdicts_by_classifier ON verdicts(run_id, classifier, status, decision);

CREATE TABLE response_cache (
  key ${text} PRIMARY KEY,
  value ${text} NOT NULL,
  created_at ${text} NOT NULL
);
`,
  },
  {
    version: 2,
    name: "index samples by item for paired run comparisons",
    sql: "CREATE INDEX samples_by_item ON samples(run_id, item_id, tier, epoch);",
  },
  {
    version: 3,
    name: "staged verdicts for replacing a classifier's verdicts at once",
    sql: `
CREATE TABLE staged_verdicts (
  run_id ${text} NOT NULL,
  sample_key ${text} NOT NULL,
  classifier ${text} NOT NULL,
  status ${text} NOT NULL,
  decision ${text},
  score DOUBLE PRECISION,
  judge_model ${text},
  prompt_version ${text} NOT NULL,
  criteria ${text},
  quotes ${text} NOT NULL,
  raw ${text} NOT NULL,
  failure_kind ${text},
  failure_message ${text},
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION,
  created_at ${text} NOT NULL,
  PRIMARY KEY (run_id, classifier, sample_key),
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
`,
  },
  {
    version: 4,
    name: "native reasoning, API refusals and the judged scratchpad source",
    sql: `
ALTER TABLE turns ADD COLUMN reasoning ${text};
ALTER TABLE turns ADD COLUMN refusal ${text};
ALTER TABLE turns ADD COLUMN reasoning_tokens BIGINT;
ALTER TABLE samples ADD COLUMN reasoning ${text};
ALTER TABLE samples ADD COLUMN scratchpad_source ${text};
ALTER TABLE samples ADD COLUMN refusal_kind ${text};
ALTER TABLE samples ADD COLUMN refusal_message ${text};
ALTER TABLE samples ADD COLUMN reasoning_tokens BIGINT;
ALTER TABLE verdicts ADD COLUMN reasoning_tokens BIGINT;
ALTER TABLE staged_verdicts ADD COLUMN reasoning_tokens BIGINT;
`,
  },
  {
    version: 5,
    name: "run leases",
    sql: `
CREATE TABLE run_leases (
  run_id ${text} PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  owner ${text} NOT NULL,
  pid INTEGER NOT NULL,
  host ${text} NOT NULL,
  acquired_at ${text} NOT NULL,
  renewed_at ${text} NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
  },
  {
    version: 6,
    name: "human labels",
    sql: `
CREATE TABLE labels (
  run_id ${text} NOT NULL,
  sample_key ${text} NOT NULL,
  labeller ${text} NOT NULL,
  af ${text},
  eval_aware ${text},
  note ${text} NOT NULL,
  created_at ${text} NOT NULL,
  updated_at ${text} NOT NULL,
  PRIMARY KEY (run_id, sample_key, labeller),
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
`,
  },
  {
    version: 7,
    name: "prompt sets",
    sql: `
CREATE TABLE prompt_sets (
  name ${text} PRIMARY KEY,
  setting ${text} NOT NULL,
  variants ${text} NOT NULL,
  cot INTEGER NOT NULL,
  source_text ${text} NOT NULL,
  source_hash ${text} NOT NULL,
  generator ${text} NOT NULL,
  checker ${text},
  requested INTEGER NOT NULL,
  created_at ${text} NOT NULL
);
CREATE TABLE prompt_set_members (
  set_name ${text} NOT NULL REFERENCES prompt_sets(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  status ${text} NOT NULL CHECK (status IN ('accepted', 'rejected')),
  hash ${text} NOT NULL,
  text ${text} NOT NULL,
  reason ${text},
  checks ${text} NOT NULL,
  usage ${text} NOT NULL,
  cost_usd DOUBLE PRECISION,
  created_at ${text} NOT NULL,
  PRIMARY KEY (set_name, position)
);
`,
  },
  {
    version: 8,
    name: "aggregate tables kept by triggers",
    sql: postgresAggregateTablesSql,
  },
  {
    version: 9,
    name: "provider batches",
    sql: `
CREATE TABLE batches (
  id ${text} PRIMARY KEY,
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  provider ${text} NOT NULL,
  model_id ${text} NOT NULL,
  provider_batch_id ${text},
  state ${text} NOT NULL,
  round INTEGER NOT NULL,
  request_count INTEGER NOT NULL,
  counts ${text},
  created_at ${text} NOT NULL,
  ended_at ${text}
);
CREATE INDEX batches_by_run ON batches(run_id, created_at);
CREATE TABLE batch_requests (
  custom_id ${text} PRIMARY KEY,
  batch_id ${text} NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  run_id ${text} NOT NULL,
  sample_key ${text} NOT NULL,
  round INTEGER NOT NULL,
  state ${text} NOT NULL,
  cost_usd DOUBLE PRECISION,
  reply ${text}
);
CREATE INDEX batch_requests_by_batch ON batch_requests(batch_id);
CREATE INDEX batch_requests_by_run ON batch_requests(run_id, state);
`,
  },
];

/** The schema version the PostgreSQL backend writes and understands. */
export const postgresSchemaVersion: number = postgresMigrations.length;

// Any constant both ends agree on: the session-level advisory lock that serialises concurrent openers.
const MIGRATION_LOCK = 7_301_455_112;

/**
 * Brings the schema up to date, one transaction per step, each recorded in `schema_migrations`. An
 * advisory lock held for the whole upgrade makes concurrent openers (many workers starting at once) wait
 * for one another instead of racing to create the same tables. `schema` (already validated as a plain name)
 * is created first when given. A newer schema is refused, as on SQLite.
 */
export async function applyPostgresMigrations(
  client: pg.PoolClient,
  location: string,
  schema?: string,
  steps: readonly Migration[] = postgresMigrations,
): Promise<number> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
  try {
    // Under the lock: two openers of a new schema would otherwise race on creating it.
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name ${text} NOT NULL, applied_at ${text} NOT NULL)`,
    );
    const found = await readVersion(client);
    const known = steps.length;
    if (found > known) {
      throw new InputError(
        `${location} has schema version ${found}, newer than this version of @aflab/store understands (${known}): upgrade aflab to open it`,
        { field: "schema_migrations" },
      );
    }
    for (const step of steps) {
      if (step.version <= found) continue;
      await client.query("BEGIN");
      try {
        await client.query(step.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
          step.version,
          step.name,
          new Date().toISOString(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
    return readVersion(client);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
  }
}

/** The highest recorded version, or 0 when `schema_migrations` does not exist yet. */
export async function readVersion(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ found: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS found",
  );
  if (!exists.rows[0]?.found) return 0;
  const result = await client.query<{ version: number | null }>(
    "SELECT MAX(version) AS version FROM schema_migrations",
  );
  return result.rows[0]?.version ?? 0;
}
