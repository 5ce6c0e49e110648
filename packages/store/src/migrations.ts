import { InputError } from "@aflab/core";
import { aggregateTablesSql } from "./aggregate-schema.js";
import type { SqliteConnection } from "./sqlite-connection.js";

/** One numbered schema step. Versions start at 1 and increase by one; a step never changes once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as an append-only list. To change it, add a step; never edit a released one, because
 * databases already at that version would never see the edit.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE sweeps (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  -- Copied out of the config so run listings can filter without parsing JSON.
  model TEXT NOT NULL,
  setting TEXT NOT NULL,
  label TEXT,
  simulated INTEGER NOT NULL,
  prompt_hash TEXT NOT NULL,
  total INTEGER NOT NULL,
  sweep_id TEXT REFERENCES sweeps(id) ON DELETE SET NULL,
  error TEXT
);
CREATE INDEX runs_by_created ON runs(created_at);
CREATE INDEX runs_by_status ON runs(status, created_at);
CREATE INDEX runs_by_sweep ON runs(sweep_id, created_at);

CREATE TABLE system_prompts (
  hash TEXT PRIMARY KEY,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  query TEXT NOT NULL,
  tier TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  system_prompt_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  failure_kind TEXT,
  failure_message TEXT,
  flags TEXT NOT NULL,
  output TEXT,
  scratchpad TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cost_usd REAL,
  retries INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  UNIQUE (run_id, key)
);
CREATE INDEX samples_by_index ON samples(run_id, sample_index);
CREATE INDEX samples_by_status ON samples(run_id, status, sample_index);
CREATE INDEX samples_by_tier ON samples(run_id, tier, sample_index);
CREATE INDEX samples_by_failure ON samples(run_id, failure_kind) WHERE failure_kind IS NOT NULL;

CREATE TABLE turns (
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  turn_index INTEGER NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  -- Usage is optional on a turn (user turns have none): all four are NULL together.
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_write_tokens INTEGER,
  cache_read_tokens INTEGER,
  stop_reason TEXT,
  prefill TEXT,
  latency_ms REAL,
  cached INTEGER,
  PRIMARY KEY (sample_id, turn_index)
) WITHOUT ROWID;

CREATE TABLE verdicts (
  run_id TEXT NOT NULL,
  sample_key TEXT NOT NULL,
  classifier TEXT NOT NULL,
  status TEXT NOT NULL,
  decision TEXT,
  score REAL,
  judge_model TEXT,
  prompt_version TEXT NOT NULL,
  criteria TEXT,
  quotes TEXT NOT NULL,
  raw TEXT NOT NULL,
  failure_kind TEXT,
  failure_message TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cost_usd REAL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, sample_key, classifier),
  -- A verdict describes one stored transcript: replacing or deleting the sample removes it.
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
CREATE INDEX verdicts_by_classifier ON verdicts(run_id, classifier, status, decision);

CREATE TABLE response_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL
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
-- A forced re-classification writes its verdicts here, then moves them into verdicts in one transaction
-- once every sample has one: a run never holds old and new verdicts of one classifier side by side, and
-- rows left here by a killed process say which replacement to continue.
CREATE TABLE staged_verdicts (
  run_id TEXT NOT NULL,
  sample_key TEXT NOT NULL,
  classifier TEXT NOT NULL,
  status TEXT NOT NULL,
  decision TEXT,
  score REAL,
  judge_model TEXT,
  prompt_version TEXT NOT NULL,
  criteria TEXT,
  quotes TEXT NOT NULL,
  raw TEXT NOT NULL,
  failure_kind TEXT,
  failure_message TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cost_usd REAL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, classifier, sample_key),
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
`,
  },
  {
    version: 4,
    name: "native reasoning, API refusals and the judged scratchpad source",
    sql: `
-- Each assistant turn's native reasoning as JSON (blocks byte for byte, signatures and redacted data
-- included), the provider's separate refusal message, and the reasoning share of its output tokens.
ALTER TABLE turns ADD COLUMN reasoning TEXT;
ALTER TABLE turns ADD COLUMN refusal TEXT;
ALTER TABLE turns ADD COLUMN reasoning_tokens INTEGER;
-- The sample's readable reasoning (for judges and search), what its scratchpad judges read, and an API
-- refusal (kind and message, like failures).
ALTER TABLE samples ADD COLUMN reasoning TEXT;
ALTER TABLE samples ADD COLUMN scratchpad_source TEXT;
ALTER TABLE samples ADD COLUMN refusal_kind TEXT;
ALTER TABLE samples ADD COLUMN refusal_message TEXT;
ALTER TABLE samples ADD COLUMN reasoning_tokens INTEGER;
ALTER TABLE verdicts ADD COLUMN reasoning_tokens INTEGER;
ALTER TABLE staged_verdicts ADD COLUMN reasoning_tokens INTEGER;
`,
  },
  {
    version: 5,
    name: "run leases",
    sql: `
-- The one process that owns a run while it executes. Renewed while it runs; another process may take
-- it over once expires_at has passed (the owner died without releasing it).
CREATE TABLE run_leases (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  renewed_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
  {
    version: 6,
    name: "human labels",
    sql: `
-- A reader's own labels of a transcript, one per labeller and sample, to measure judges against. They
-- describe one stored transcript: replacing or deleting the sample removes them, like its verdicts.
CREATE TABLE labels (
  run_id TEXT NOT NULL,
  sample_key TEXT NOT NULL,
  labeller TEXT NOT NULL,
  af TEXT,
  eval_aware TEXT,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, sample_key, labeller),
  FOREIGN KEY (run_id, sample_key) REFERENCES samples(run_id, key) ON DELETE CASCADE
);
`,
  },
  {
    version: 7,
    name: "prompt sets",
    sql: `
-- Named sets of paraphrased system prompts (see prompt-sets.ts): the set, what it paraphrases and who
-- wrote and checked it; each member once per position, accepted or rejected with the reason.
CREATE TABLE prompt_sets (
  name TEXT PRIMARY KEY,
  setting TEXT NOT NULL,
  variants TEXT NOT NULL,
  cot INTEGER NOT NULL,
  source_text TEXT NOT NULL,
  source_hash TEXT NOT NULL,
  generator TEXT NOT NULL,
  checker TEXT,
  requested INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE prompt_set_members (
  set_name TEXT NOT NULL REFERENCES prompt_sets(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
  hash TEXT NOT NULL,
  text TEXT NOT NULL,
  reason TEXT,
  checks TEXT NOT NULL,
  usage TEXT NOT NULL,
  cost_usd REAL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (set_name, position)
);
`,
  },
  {
    version: 8,
    name: "aggregate tables kept by triggers",
    sql: aggregateTablesSql,
  },
  {
    version: 9,
    name: "provider batches",
    sql: `
-- A run's provider batches and their requests, written before a batch is submitted so that a process
-- killed at any point can reconnect to what is in flight and never submit a request twice.
CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  model_id TEXT NOT NULL,
  provider_batch_id TEXT,
  state TEXT NOT NULL,
  round INTEGER NOT NULL,
  request_count INTEGER NOT NULL,
  counts TEXT,
  created_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX batches_by_run ON batches(run_id, created_at);
CREATE TABLE batch_requests (
  custom_id TEXT PRIMARY KEY,
  batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  sample_key TEXT NOT NULL,
  round INTEGER NOT NULL,
  state TEXT NOT NULL,
  cost_usd REAL,
  -- A succeeded request's reply (JSON), kept until its sample is stored: a later round of the multi-turn
  -- protocol is built from it after a crash, so a reply already paid for is never asked again.
  reply TEXT
);
CREATE INDEX batch_requests_by_batch ON batch_requests(batch_id);
CREATE INDEX batch_requests_by_run ON batch_requests(run_id, state);
`,
  },
];

/** The schema version this code writes and understands. */
export const schemaVersion: number = migrations.reduce((highest, step) => Math.max(highest, step.version), 0);

/** The highest version recorded in `schema_migrations`, or 0 for a database that has none. */
export function currentVersion(db: SqliteConnection): number {
  const row = db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get() as
    | { version: number | null }
    | undefined;
  return row?.version ?? 0;
}

/**
 * Bring `db` up to the newest version in `steps`, one transaction per step, each recorded in
 * `schema_migrations`. The write lock is taken before the version is read, so two processes opening
 * the same new file do not both create the tables. A database newer than `steps` knows is refused:
 * writing to it with an older schema in mind could corrupt it.
 */
export function applyMigrations(
  db: SqliteConnection,
  steps: readonly Migration[] = migrations,
  location = "the database",
): number {
  checkSteps(steps);
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const known = steps.reduce((highest, step) => Math.max(highest, step.version), 0);
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  const upgrade = db.transaction(() => {
    const found = currentVersion(db);
    if (found > known) {
      throw new InputError(
        `${location} has schema version ${found}, newer than this version of @aflab/store understands (${known}): upgrade aflab to open it`,
        { field: "schema_migrations" },
      );
    }
    for (const step of steps) {
      if (step.version <= found) continue;
      db.exec(step.sql);
      record.run(step.version, step.name, new Date().toISOString());
    }
    return currentVersion(db);
  });
  return upgrade.immediate();
}

function checkSteps(steps: readonly Migration[]): void {
  steps.forEach((step, position) => {
    if (step.version !== position + 1) {
      throw new Error(`migration "${step.name}" has version ${step.version}, expected ${position + 1}`);
    }
  });
}
