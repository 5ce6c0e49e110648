import {
  backfillSql,
  outcomeGroup,
  refreshOutcomes,
  sampleFacets,
  sampleUsageColumns,
  usageDelta,
  verdictGroup,
  verdictOutcome,
} from "../aggregate-schema.js";

// The aggregate tables and their triggers on PostgreSQL: the statements of `../aggregate-schema.ts`, one
// per SQLite trigger, wrapped in plpgsql trigger functions. Only the JSON of a sample's outcomes is
// PostgreSQL's own (json_object_agg in classifier order: equal sets of verdicts give equal text).

const text = 'TEXT COLLATE "C"';

function outcomesOf(runId: string, sampleKey: string): string {
  return `(SELECT COALESCE(json_object_agg(v.classifier, ${verdictOutcome("v")} ORDER BY v.classifier)::text, '{}')
    FROM verdicts v WHERE v.run_id = ${runId} AND v.sample_key = ${sampleKey})`;
}

/**
 * A row trigger running `body`. Every aggregate trigger first takes one transaction-scoped lock per run,
 * so concurrent writers of a run update its aggregate rows one transaction at a time, in one order,
 * instead of deadlocking on them in different orders (they would wait for each other's row locks anyway).
 */
function trigger(name: string, event: string, row: "NEW" | "OLD", body: string, when?: string): string {
  return `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('aggregates' || chr(31) || ${row}.run_id, 0));
  ${body}
  RETURN NULL;
END
$body$;
CREATE TRIGGER ${name} ${event} FOR EACH ROW${when ? ` WHEN (${when})` : ""} EXECUTE FUNCTION ${name}();
`;
}

const outcomeColumns = ["run_id", "tier", "status", "refusal_kind", "outcomes"];

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
  "NEW",
  `${outcomeGroup("NEW", 1)}
  ${sampleFacets("NEW", 1)}
  ${usageDelta("NEW", "samples", 1)}`,
)}
${trigger(
  "samples_aggregate_delete",
  "AFTER DELETE ON samples",
  "OLD",
  `${outcomeGroup("OLD", -1)}
  ${sampleFacets("OLD", -1)}
  ${usageDelta("OLD", "samples", -1)}`,
)}
${trigger(
  "samples_aggregate_update_outcomes",
  `AFTER UPDATE OF ${outcomeColumns.join(", ")} ON samples`,
  "NEW",
  `${outcomeGroup("OLD", -1)}
  ${outcomeGroup("NEW", 1)}`,
  outcomeColumns.map((column) => `OLD.${column} IS DISTINCT FROM NEW.${column}`).join(" OR "),
)}
${trigger(
  "samples_aggregate_update_usage",
  `AFTER UPDATE OF ${sampleUsageColumns} ON samples`,
  "NEW",
  `${sampleFacets("OLD", -1)}
  ${sampleFacets("NEW", 1)}
  ${usageDelta("OLD", "samples", -1)}
  ${usageDelta("NEW", "samples", 1)}`,
)}
${trigger(
  "verdicts_aggregate_insert",
  "AFTER INSERT ON verdicts",
  "NEW",
  `${verdictGroup("NEW", 1)}
  ${usageDelta("NEW", "verdicts", 1)}
  ${refreshOutcomes("NEW", outcomesOf)}`,
)}
${trigger(
  "verdicts_aggregate_delete",
  "AFTER DELETE ON verdicts",
  "OLD",
  `${verdictGroup("OLD", -1)}
  ${usageDelta("OLD", "verdicts", -1)}
  ${refreshOutcomes("OLD", outcomesOf)}`,
)}
${trigger(
  "verdicts_aggregate_update",
  "AFTER UPDATE ON verdicts",
  "NEW",
  `${verdictGroup("OLD", -1)}
  ${verdictGroup("NEW", 1)}
  ${usageDelta("OLD", "verdicts", -1)}
  ${usageDelta("NEW", "verdicts", 1)}
  ${refreshOutcomes("OLD", outcomesOf)}
  ${refreshOutcomes("NEW", outcomesOf)}`,
)}`;
