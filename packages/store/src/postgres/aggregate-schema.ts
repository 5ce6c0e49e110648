import {
  backfillSql,
  scratchpadSource,
  usageColumns,
  usageValues,
  verdictKind,
  verdictOutcome,
} from "../aggregate-schema.js";

// The aggregate tables and their triggers on PostgreSQL: the tables and definitions of
// `../aggregate-schema.ts`, kept by statement-level triggers over transition tables. Row-level triggers
// would update the same few aggregate rows once per written row, and PostgreSQL keeps every version of a
// row updated within a transaction until the transaction ends, so a large statement (replaceVerdicts, a
// run's deletion) would slow down with every row it wrote; a statement trigger adds one grouped delta.

const text = 'TEXT COLLATE "C"';

/** The JSON of a sample's outcomes: json_object_agg in classifier order, so equal verdicts give equal text. */
function outcomesOf(runId: string, sampleKey: string): string {
  return `(SELECT COALESCE(json_object_agg(v.classifier, ${verdictOutcome("v")} ORDER BY v.classifier)::text, '{}')
    FROM verdicts v WHERE v.run_id = ${runId} AND v.sample_key = ${sampleKey})`;
}

/**
 * Adds (sign 1) or subtracts (sign -1) the rows of `from` (a transition table, alias r) grouped by `key`
 * (column: expression over r) to `table`'s `count`, dropping rows that reach zero.
 */
function countDelta(
  table: string,
  count: string,
  key: Record<string, string>,
  from: string,
  sign: 1 | -1,
  where = "TRUE",
): string {
  const columns = Object.keys(key);
  const grouped = `SELECT ${columns.map((column) => `${key[column]} AS ${column}`).join(", ")}, COUNT(*) AS n
    FROM ${from} r WHERE ${where} GROUP BY ${columns.map((_, position) => position + 1).join(", ")}`;
  if (sign === 1) {
    return `INSERT INTO ${table} (${columns.join(", ")}, ${count}) SELECT * FROM (${grouped}) d
      ON CONFLICT (${columns.join(", ")}) DO UPDATE SET ${count} = ${table}.${count} + excluded.${count};`;
  }
  const match = columns.map((column) => `t.${column} = d.${column}`).join(" AND ");
  return `UPDATE ${table} t SET ${count} = t.${count} - d.n FROM (${grouped}) d WHERE ${match};
    DELETE FROM ${table} WHERE ${count} <= 0 AND run_id IN (SELECT DISTINCT r.run_id FROM ${from} r);`;
}

function outcomeGroups(from: string, sign: 1 | -1): string {
  return countDelta(
    "aggregate_outcomes",
    "samples",
    {
      run_id: "r.run_id",
      tier: "r.tier",
      status: "r.status",
      api_refused: "CASE WHEN r.refusal_kind = 'api_refusal' THEN 1 ELSE 0 END",
      outcomes: "r.outcomes",
    },
    from,
    sign,
  );
}

function sampleFacets(from: string, sign: 1 | -1): string {
  return [
    countDelta(
      "aggregate_sample_facets",
      "samples",
      { run_id: "r.run_id", facet: "'scratchpad_source'::text", value: scratchpadSource("r") },
      from,
      sign,
      "r.status = 'complete'",
    ),
    countDelta(
      "aggregate_sample_facets",
      "samples",
      { run_id: "r.run_id", facet: "'failure_kind'::text", value: "r.failure_kind" },
      from,
      sign,
      "r.failure_kind IS NOT NULL",
    ),
  ].join("\n");
}

function verdictGroups(from: string, sign: 1 | -1): string {
  return countDelta(
    "aggregate_verdicts",
    "verdicts",
    {
      run_id: "r.run_id",
      classifier: "r.classifier",
      status: "r.status",
      decision: "COALESCE(r.decision, '')",
      failure_kind: verdictKind("r"),
    },
    from,
    sign,
  );
}

/**
 * Adds or subtracts the usage of `from`'s rows to their runs' `aggregate_usage` rows for `source`, and adds
 * `changesPerRow` writes per row to the counter (as the SQLite row triggers count: one per inserted or
 * deleted row, two per updated one).
 */
function usageDelta(from: string, source: "samples" | "verdicts", sign: 1 | -1, changesPerRow = 1): string {
  const sums = usageValues("r", source).map(
    (value, position) => `SUM(${value}) AS ${usageColumns[position]}`,
  );
  const grouped = `SELECT r.run_id AS run_id, ${sums.join(", ")}, COUNT(*) * ${changesPerRow} AS changes
    FROM ${from} r GROUP BY r.run_id`;
  if (sign === 1) {
    return `INSERT INTO aggregate_usage (run_id, source, ${usageColumns.join(", ")}, changes)
      SELECT d.run_id, '${source}', ${usageColumns.map((column) => `d.${column}`).join(", ")}, d.changes FROM (${grouped}) d
      ON CONFLICT (run_id, source) DO UPDATE SET
        ${[...usageColumns, "changes"].map((column) => `${column} = aggregate_usage.${column} + excluded.${column}`).join(", ")};`;
  }
  return `UPDATE aggregate_usage t SET
      ${usageColumns.map((column) => `${column} = t.${column} - d.${column}`).join(", ")}, changes = t.changes + d.changes
    FROM (${grouped}) d WHERE t.run_id = d.run_id AND t.source = '${source}';`;
}

/** Rewrites `samples.outcomes` of the samples `from`'s verdicts judged; the samples trigger moves their groups. */
function refreshOutcomes(from: string): string {
  return `UPDATE samples s SET outcomes = ${outcomesOf("s.run_id", "s.key")}
    FROM (SELECT DISTINCT r.run_id, r.sample_key FROM ${from} r) d WHERE s.run_id = d.run_id AND s.key = d.sample_key;`;
}

/**
 * A statement trigger running `body` over its transition tables. It first takes one transaction-scoped
 * lock per run written, in run order, so concurrent writers of a run update its aggregate rows one
 * transaction at a time instead of deadlocking on them in different orders.
 */
function trigger(
  name: string,
  event: string,
  tables: { old?: boolean; new?: boolean },
  body: string,
): string {
  const names = [...(tables.old ? ["old_rows"] : []), ...(tables.new ? ["new_rows"] : [])];
  const referencing = names.map((table) => `${table === "old_rows" ? "OLD" : "NEW"} TABLE AS ${table}`);
  const runs = names.map((table) => `SELECT run_id FROM ${table}`).join(" UNION ");
  return `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('aggregates' || chr(31) || run_id, 0))
    FROM (SELECT DISTINCT run_id FROM (${runs}) written ORDER BY run_id) locked;
  ${body}
  RETURN NULL;
END
$body$;
CREATE TRIGGER ${name} ${event} REFERENCING ${referencing.join(" ")} FOR EACH STATEMENT EXECUTE FUNCTION ${name}();
`;
}

/** Sample columns the usage and facet aggregates read (an update of any other leaves them alone). */
const sampleUsageColumns = [
  "run_id",
  "status",
  "scratchpad",
  "scratchpad_source",
  "failure_kind",
  "input_tokens",
  "output_tokens",
  "cache_write_tokens",
  "cache_read_tokens",
  "reasoning_tokens",
  "cost_usd",
  "retries",
];

// Updated samples whose usage or facet columns changed (joined old to new by id). SQLite's row trigger
// fires on any UPDATE naming those columns; the store never updates them in place (a replaced sample is
// deleted and inserted), so the write counters agree.
const usageChanged = sampleUsageColumns
  .map((column) => `o.${column} IS DISTINCT FROM n.${column}`)
  .join(" OR ");
const changedOld = `(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ${usageChanged})`;
const changedNew = `(SELECT n.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE ${usageChanged})`;

/** Migration 8 on PostgreSQL: the tables of the SQLite step, filled from the stored rows, and the triggers. */
export const postgresAggregateTablesSql = `
ALTER TABLE samples ADD COLUMN outcomes ${text} NOT NULL DEFAULT '{}';

CREATE TABLE aggregate_outcomes (
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tier ${text} NOT NULL,
  status ${text} NOT NULL,
  api_refused INTEGER NOT NULL,
  outcomes ${text} NOT NULL,
  samples BIGINT NOT NULL,
  PRIMARY KEY (run_id, tier, status, api_refused, outcomes)
);

CREATE TABLE aggregate_usage (
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  source ${text} NOT NULL,
  rows BIGINT NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  reasoning_rows BIGINT NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL,
  unpriced BIGINT NOT NULL,
  retries BIGINT NOT NULL,
  changes BIGINT NOT NULL,
  PRIMARY KEY (run_id, source)
);

CREATE TABLE aggregate_sample_facets (
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  facet ${text} NOT NULL,
  value ${text} NOT NULL,
  samples BIGINT NOT NULL,
  PRIMARY KEY (run_id, facet, value)
);

CREATE TABLE aggregate_verdicts (
  run_id ${text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  classifier ${text} NOT NULL,
  status ${text} NOT NULL,
  decision ${text} NOT NULL,
  failure_kind ${text} NOT NULL,
  verdicts BIGINT NOT NULL,
  PRIMARY KEY (run_id, classifier, status, decision, failure_kind)
);

${backfillSql(outcomesOf)}

${trigger(
  "samples_aggregate_insert",
  "AFTER INSERT ON samples",
  { new: true },
  `${outcomeGroups("new_rows", 1)}
  ${sampleFacets("new_rows", 1)}
  ${usageDelta("new_rows", "samples", 1)}`,
)}
${trigger(
  "samples_aggregate_delete",
  "AFTER DELETE ON samples",
  { old: true },
  `${outcomeGroups("old_rows", -1)}
  ${sampleFacets("old_rows", -1)}
  ${usageDelta("old_rows", "samples", -1)}`,
)}
${trigger(
  "samples_aggregate_update",
  "AFTER UPDATE ON samples",
  { old: true, new: true },
  `${outcomeGroups("old_rows", -1)}
  ${outcomeGroups("new_rows", 1)}
  ${sampleFacets(changedOld, -1)}
  ${sampleFacets(changedNew, 1)}
  ${usageDelta(changedOld, "samples", -1)}
  ${usageDelta(changedNew, "samples", 1)}`,
)}
${trigger(
  "verdicts_aggregate_insert",
  "AFTER INSERT ON verdicts",
  { new: true },
  `${verdictGroups("new_rows", 1)}
  ${usageDelta("new_rows", "verdicts", 1)}
  ${refreshOutcomes("new_rows")}`,
)}
${trigger(
  "verdicts_aggregate_delete",
  "AFTER DELETE ON verdicts",
  { old: true },
  `${verdictGroups("old_rows", -1)}
  ${usageDelta("old_rows", "verdicts", -1)}
  ${refreshOutcomes("old_rows")}`,
)}
${trigger(
  "verdicts_aggregate_update",
  "AFTER UPDATE ON verdicts",
  { old: true, new: true },
  `${verdictGroups("old_rows", -1)}
  ${verdictGroups("new_rows", 1)}
  ${usageDelta("old_rows", "verdicts", -1)}
  ${usageDelta("new_rows", "verdicts", 1)}
  ${refreshOutcomes("(SELECT run_id, sample_key FROM old_rows UNION SELECT run_id, sample_key FROM new_rows)")}`,
)}`;
