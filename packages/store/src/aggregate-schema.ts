// The aggregate tables and the triggers that keep them equal to a scan of `samples` and `verdicts`.
// Every write path (putSample's replace, putVerdict's upsert, replaceVerdicts, deleteRun's cascades,
// and anything written later) keeps them current without knowing they exist; the read side
// (`aggregates.ts`) then answers from a few rows per run, whatever the run's size. The PostgreSQL
// triggers (`postgres/aggregate-schema.ts`) import the per-row definitions exported here.

/** One classifier's outcome for a verdict row `row` (NEW, OLD or a table alias), as `outcomeSql` gives it. */
export function verdictOutcome(row: string): string {
  return `CASE WHEN ${row}.status = 'failed' THEN 'failed' WHEN ${row}.status = 'not_applicable' THEN 'not_applicable' ELSE COALESCE(${row}.decision, 'no_decision') END`;
}

/**
 * The outcome of every classifier that judged one sample, as a JSON object in classifier order: the
 * sample's place in `aggregate_outcomes`. Equal sets of verdicts give equal text.
 */
export function outcomesOf(runId: string, sampleKey: string): string {
  return `(SELECT json_group_object(classifier, outcome) FROM (
    SELECT v.classifier AS classifier, ${verdictOutcome("v")} AS outcome FROM verdicts v
    WHERE v.run_id = ${runId} AND v.sample_key = ${sampleKey} ORDER BY v.classifier))`;
}

/** The text a complete sample's scratchpad judges read (samples stored before the source was recorded read the tags). */
export function scratchpadSource(row: string): string {
  return `COALESCE(${row}.scratchpad_source, CASE WHEN TRIM(COALESCE(${row}.scratchpad, '')) <> '' THEN 'tags' ELSE 'none' END)`;
}

/** 1 when a row used tokens but has no known cost. */
export function unpriced(row: string): string {
  return `CASE WHEN ${row}.cost_usd IS NULL AND ${row}.input_tokens + ${row}.output_tokens + ${row}.cache_write_tokens + ${row}.cache_read_tokens > 0 THEN 1 ELSE 0 END`;
}

/** The failure kind a verdict row counts under in `aggregate_verdicts` ('' unless it failed). */
export function verdictKind(row: string): string {
  return `CASE WHEN ${row}.status = 'failed' THEN COALESCE(${row}.failure_kind, 'unspecified') ELSE '' END`;
}

/** The summed columns of `aggregate_usage` (besides the write counter `changes`). */
export const usageColumns = [
  "rows",
  "input_tokens",
  "output_tokens",
  "cache_write_tokens",
  "cache_read_tokens",
  "reasoning_tokens",
  "reasoning_rows",
  "cost_usd",
  "unpriced",
  "retries",
];

/** What one row of `source` adds to each of `usageColumns`. */
export function usageValues(row: string, source: "samples" | "verdicts"): string[] {
  return [
    "1",
    `${row}.input_tokens`,
    `${row}.output_tokens`,
    `${row}.cache_write_tokens`,
    `${row}.cache_read_tokens`,
    `COALESCE(${row}.reasoning_tokens, 0)`,
    `CASE WHEN ${row}.reasoning_tokens IS NULL THEN 0 ELSE 1 END`,
    `COALESCE(${row}.cost_usd, 0)`,
    unpriced(row),
    source === "samples" ? `${row}.retries` : "0",
  ];
}

/** Adds (sign 1) or removes (sign -1) one row's usage to its run's `aggregate_usage` row for `source`. */
function usageDelta(row: string, source: "samples" | "verdicts", sign: 1 | -1): string {
  const values = usageValues(row, source);
  const columns = usageColumns;
  if (sign === 1) {
    return `INSERT INTO aggregate_usage (run_id, source, ${columns.join(", ")}, changes)
      VALUES (${row}.run_id, '${source}', ${values.join(", ")}, 1)
      ON CONFLICT (run_id, source) DO UPDATE SET
        ${columns.map((column) => `${column} = aggregate_usage.${column} + excluded.${column}`).join(", ")}, changes = aggregate_usage.changes + 1;`;
  }
  return `UPDATE aggregate_usage SET
      ${columns.map((column, position) => `${column} = ${column} - (${values[position]})`).join(", ")}, changes = changes + 1
    WHERE run_id = ${row}.run_id AND source = '${source}';`;
}

/** Adds or removes one to a counting table's row, dropping rows that reach zero. */
function countDelta(
  table: string,
  count: string,
  key: Record<string, string>,
  sign: 1 | -1,
  when = "TRUE",
): string {
  const columns = Object.keys(key);
  const values = Object.values(key);
  if (sign === 1) {
    return `INSERT INTO ${table} (${columns.join(", ")}, ${count})
      SELECT ${values.join(", ")}, 1 WHERE ${when}
      ON CONFLICT (${columns.join(", ")}) DO UPDATE SET ${count} = ${table}.${count} + 1;`;
  }
  const match = columns.map((column, position) => `${column} = ${values[position]}`).join(" AND ");
  return `UPDATE ${table} SET ${count} = ${count} - 1 WHERE ${match} AND ${when};
    DELETE FROM ${table} WHERE ${match} AND ${count} <= 0;`;
}

function outcomeGroup(row: string, sign: 1 | -1): string {
  return countDelta(
    "aggregate_outcomes",
    "samples",
    {
      run_id: `${row}.run_id`,
      tier: `${row}.tier`,
      status: `${row}.status`,
      api_refused: `CASE WHEN ${row}.refusal_kind = 'api_refusal' THEN 1 ELSE 0 END`,
      outcomes: `${row}.outcomes`,
    },
    sign,
  );
}

function sampleFacets(row: string, sign: 1 | -1): string {
  return [
    countDelta(
      "aggregate_sample_facets",
      "samples",
      { run_id: `${row}.run_id`, facet: "'scratchpad_source'", value: scratchpadSource(row) },
      sign,
      `${row}.status = 'complete'`,
    ),
    countDelta(
      "aggregate_sample_facets",
      "samples",
      { run_id: `${row}.run_id`, facet: "'failure_kind'", value: `${row}.failure_kind` },
      sign,
      `${row}.failure_kind IS NOT NULL`,
    ),
  ].join("\n");
}

function verdictGroup(row: string, sign: 1 | -1): string {
  return countDelta(
    "aggregate_verdicts",
    "verdicts",
    {
      run_id: `${row}.run_id`,
      classifier: `${row}.classifier`,
      status: `${row}.status`,
      decision: `COALESCE(${row}.decision, '')`,
      failure_kind: verdictKind(row),
    },
    sign,
  );
}

/** Sets one sample's `outcomes` from its verdicts; the samples trigger moves it between groups. */
function refreshOutcomes(row: string): string {
  return `UPDATE samples SET outcomes = ${outcomesOf(`${row}.run_id`, `${row}.sample_key`)}
    WHERE run_id = ${row}.run_id AND key = ${row}.sample_key;`;
}

/** Sample columns the usage and facet aggregates read. */
const sampleUsageColumns =
  "run_id, status, scratchpad, scratchpad_source, failure_kind, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens, cost_usd, retries";

/** SQL giving the outcomes text of the sample (run id, key expressions); each backend has its JSON function. */
export type OutcomesOf = (runId: string, sampleKey: string) => string;

/** Fills the aggregate tables (empty) and `samples.outcomes` from the stored rows. */
export const backfillSql = (outcomes: OutcomesOf = outcomesOf): string => `
UPDATE samples SET outcomes = ${outcomes("samples.run_id", "samples.key")};

INSERT INTO aggregate_outcomes (run_id, tier, status, api_refused, outcomes, samples)
  SELECT run_id, tier, status, CASE WHEN refusal_kind = 'api_refusal' THEN 1 ELSE 0 END, outcomes, COUNT(*)
  FROM samples GROUP BY 1, 2, 3, 4, 5;

INSERT INTO aggregate_sample_facets (run_id, facet, value, samples)
  SELECT run_id, 'scratchpad_source', ${scratchpadSource("samples")}, COUNT(*)
  FROM samples WHERE status = 'complete' GROUP BY 1, 2, 3;
INSERT INTO aggregate_sample_facets (run_id, facet, value, samples)
  SELECT run_id, 'failure_kind', failure_kind, COUNT(*)
  FROM samples WHERE failure_kind IS NOT NULL GROUP BY 1, 2, 3;

INSERT INTO aggregate_verdicts (run_id, classifier, status, decision, failure_kind, verdicts)
  SELECT run_id, classifier, status, COALESCE(decision, ''), ${verdictKind("verdicts")}, COUNT(*)
  FROM verdicts GROUP BY 1, 2, 3, 4, 5;

${["samples", "verdicts"]
  .map(
    (
      table,
    ) => `INSERT INTO aggregate_usage (run_id, source, rows, input_tokens, output_tokens, cache_write_tokens,
    cache_read_tokens, reasoning_tokens, reasoning_rows, cost_usd, unpriced, retries, changes)
  SELECT run_id, '${table}', COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_write_tokens),
    SUM(cache_read_tokens), COALESCE(SUM(reasoning_tokens), 0), COUNT(reasoning_tokens), COALESCE(SUM(cost_usd), 0),
    SUM(${unpriced(table)}), ${table === "samples" ? "SUM(retries)" : "0"}, 0
  FROM ${table} GROUP BY run_id;`,
  )
  .join("\n")}
`;

/** The schema step that adds the aggregate tables, fills them from the stored rows, and adds the triggers. */
export const aggregateTablesSql = `
-- The outcome of every classifier that judged the sample (see aggregate_outcomes), kept by the verdict triggers.
ALTER TABLE samples ADD COLUMN outcomes TEXT NOT NULL DEFAULT '{}';

-- Samples per run by tier, generation status, API refusal and the outcomes of all classifiers at once:
-- progress, tier counts, decision counts and joint outcomes of any classifiers are sums over these rows.
CREATE TABLE aggregate_outcomes (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tier TEXT NOT NULL,
  status TEXT NOT NULL,
  api_refused INTEGER NOT NULL,
  outcomes TEXT NOT NULL,
  samples INTEGER NOT NULL,
  PRIMARY KEY (run_id, tier, status, api_refused, outcomes)
) WITHOUT ROWID;

-- Token, cost and retry sums per run, of its samples and of its verdicts (source). reasoning_rows counts
-- rows that reported reasoning tokens, so a run where none did reads as unknown, as SUM over NULLs does.
-- changes grows with every write, for the run's change stamp.
CREATE TABLE aggregate_usage (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  rows INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  reasoning_rows INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  unpriced INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  changes INTEGER NOT NULL,
  PRIMARY KEY (run_id, source)
) WITHOUT ROWID;

-- Complete samples by judged scratchpad source, and samples by failure kind.
CREATE TABLE aggregate_sample_facets (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  facet TEXT NOT NULL,
  value TEXT NOT NULL,
  samples INTEGER NOT NULL,
  PRIMARY KEY (run_id, facet, value)
) WITHOUT ROWID;

-- Verdicts per run by classifier, status, decision ('' for none) and failure kind ('' unless failed).
CREATE TABLE aggregate_verdicts (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  classifier TEXT NOT NULL,
  status TEXT NOT NULL,
  decision TEXT NOT NULL,
  failure_kind TEXT NOT NULL,
  verdicts INTEGER NOT NULL,
  PRIMARY KEY (run_id, classifier, status, decision, failure_kind)
) WITHOUT ROWID;

${backfillSql()}

CREATE TRIGGER samples_aggregate_insert AFTER INSERT ON samples BEGIN
  ${outcomeGroup("NEW", 1)}
  ${sampleFacets("NEW", 1)}
  ${usageDelta("NEW", "samples", 1)}
END;

-- A deleted sample's verdicts are cascaded away first (each verdict trigger finds no sample to refresh),
-- so OLD.outcomes still names the group the sample was counted in.
CREATE TRIGGER samples_aggregate_delete AFTER DELETE ON samples BEGIN
  ${outcomeGroup("OLD", -1)}
  ${sampleFacets("OLD", -1)}
  ${usageDelta("OLD", "samples", -1)}
END;

CREATE TRIGGER samples_aggregate_update_outcomes AFTER UPDATE OF run_id, tier, status, refusal_kind, outcomes ON samples
WHEN OLD.run_id IS NOT NEW.run_id OR OLD.tier IS NOT NEW.tier OR OLD.status IS NOT NEW.status
  OR OLD.refusal_kind IS NOT NEW.refusal_kind OR OLD.outcomes IS NOT NEW.outcomes
BEGIN
  ${outcomeGroup("OLD", -1)}
  ${outcomeGroup("NEW", 1)}
END;

CREATE TRIGGER samples_aggregate_update_usage AFTER UPDATE OF ${sampleUsageColumns} ON samples BEGIN
  ${sampleFacets("OLD", -1)}
  ${sampleFacets("NEW", 1)}
  ${usageDelta("OLD", "samples", -1)}
  ${usageDelta("NEW", "samples", 1)}
END;

CREATE TRIGGER verdicts_aggregate_insert AFTER INSERT ON verdicts BEGIN
  ${verdictGroup("NEW", 1)}
  ${usageDelta("NEW", "verdicts", 1)}
  ${refreshOutcomes("NEW")}
END;

CREATE TRIGGER verdicts_aggregate_delete AFTER DELETE ON verdicts BEGIN
  ${verdictGroup("OLD", -1)}
  ${usageDelta("OLD", "verdicts", -1)}
  ${refreshOutcomes("OLD")}
END;

CREATE TRIGGER verdicts_aggregate_update AFTER UPDATE ON verdicts BEGIN
  ${verdictGroup("OLD", -1)}
  ${verdictGroup("NEW", 1)}
  ${usageDelta("OLD", "verdicts", -1)}
  ${usageDelta("NEW", "verdicts", 1)}
  ${refreshOutcomes("OLD")}
  ${refreshOutcomes("NEW")}
END;
`;
