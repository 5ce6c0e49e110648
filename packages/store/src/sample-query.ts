import { sampleStatusSchema, tierSchema, verdictStatusSchema } from "@aflab/core";
import { z } from "zod";
import { labelFilter } from "./labels.js";

/**
 * The sort keys the viewer offers. Ties are always broken by sample index, ascending. `tokens` is input
 * plus output tokens; `verdict` orders by the outcome of `sortClassifier` (its decision, or its status
 * when it has none).
 */
export const sampleSortSchema = z.enum([
  "index",
  "tier",
  "latency",
  "cost",
  "status",
  "tokens",
  "query",
  "verdict",
]);
export type SampleSort = z.infer<typeof sampleSortSchema>;

const verdictFilterSchema = z.object({
  classifier: z.string().min(1, "expected a classifier name"),
  decision: z.string().min(1, "expected a decision"),
});

/**
 * Filters, sort and page for `listSamples` and `neighbours`. Every filter is optional and they combine
 * with AND. `verdictStatus.status` also accepts `missing`: samples with no verdict from that classifier.
 */
export const sampleQuerySchema = z.object({
  tier: tierSchema.optional(),
  status: sampleStatusSchema.optional(),
  failureKind: z.string().min(1, "expected a failure kind").optional(),
  /** One verdict filter, or several that must all match. */
  verdict: z
    .union([verdictFilterSchema, z.array(verdictFilterSchema).max(8, "expected at most 8 verdict filters")])
    .optional(),
  verdictStatus: z
    .object({
      classifier: z.string().min(1, "expected a classifier name"),
      status: z.enum([...verdictStatusSchema.options, "missing"]),
    })
    .optional(),
  /** Case-insensitive (ASCII) substring of the query, output, scratchpad or native reasoning; `%` and `_`
   * match literally. */
  search: z.string().max(1000, "expected at most 1000 characters").optional(),
  /** `labelled`: samples a reader labelled; `disagreement`: where a label and a judge differ. */
  label: z.enum(["labelled", "disagreement"], { error: "expected labelled or disagreement" }).optional(),
  sort: sampleSortSchema.default("index"),
  order: z.enum(["asc", "desc"]).default("asc"),
  /** The classifier whose verdicts `sort: "verdict"` orders by; a plain name, as classifiers are named. */
  sortClassifier: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a classifier name")
    .max(100, "expected at most 100 characters")
    .optional(),
  limit: z
    .number()
    .int("expected a whole number")
    .min(1, "expected at least 1")
    .max(1000, "expected at most 1000")
    .default(50),
  offset: z.number().int("expected a whole number").nonnegative("expected 0 or more").default(0),
});
export type SampleQuery = z.output<typeof sampleQuerySchema>;
export type SampleQueryInput = z.input<typeof sampleQuerySchema>;

/** Escape `\`, `%` and `_` so user text matches itself in `LIKE ... ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/**
 * The WHERE clause (over `samples s`) selecting the samples of `runId` that match `query`'s filters.
 * `like` is the case-insensitive (ASCII) match operator: SQLite's LIKE is one, PostgreSQL's is ILIKE.
 */
export function sampleFilter(
  runId: string,
  query: SampleQuery,
  like: "LIKE" | "ILIKE" = "LIKE",
): SqlFragment {
  const clauses = ["s.run_id = ?"];
  const params: unknown[] = [runId];
  if (query.tier) {
    clauses.push("s.tier = ?");
    params.push(query.tier);
  }
  if (query.status) {
    clauses.push("s.status = ?");
    params.push(query.status);
  }
  if (query.failureKind) {
    clauses.push("s.failure_kind = ?");
    params.push(query.failureKind);
  }
  const verdictFilters = query.verdict === undefined ? [] : [query.verdict].flat();
  for (const verdict of verdictFilters) {
    clauses.push(
      "EXISTS (SELECT 1 FROM verdicts v WHERE v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ? AND v.status = 'ok' AND v.decision = ?)",
    );
    params.push(verdict.classifier, verdict.decision);
  }
  if (query.verdictStatus) {
    const { classifier, status } = query.verdictStatus;
    if (status === "missing") {
      clauses.push(
        "NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?)",
      );
      params.push(classifier);
    } else {
      clauses.push(
        "EXISTS (SELECT 1 FROM verdicts v WHERE v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ? AND v.status = ?)",
      );
      params.push(classifier, status);
    }
  }
  if (query.search) {
    const pattern = `%${escapeLike(query.search)}%`;
    clauses.push(
      `(s.query ${like} ? ESCAPE '\\' OR s.output ${like} ? ESCAPE '\\' OR s.scratchpad ${like} ? ESCAPE '\\' OR s.reasoning ${like} ? ESCAPE '\\')`,
    );
    params.push(pattern, pattern, pattern, pattern);
  }
  if (query.label) {
    const filter = labelFilter(query.label);
    clauses.push(filter.sql);
    params.push(...filter.params);
  }
  return { sql: clauses.join(" AND "), params };
}

// Tiers sort in the order the schema lists them (free, paid, pro, enterprise), not alphabetically.
const tierRank = `CASE s.tier ${tierSchema.options.map((tier, rank) => `WHEN '${tier}' THEN ${rank}`).join(" ")} ELSE ${tierSchema.options.length} END`;

/** The ORDER BY list (over `samples s`) for a sort key and direction. Unknown costs sort last either way. */
export function sampleOrder(sort: SampleSort, order: "asc" | "desc", sortClassifier?: string): string {
  const direction = order === "asc" ? "ASC" : "DESC";
  switch (sort) {
    case "status":
      return `s.status ${direction}, s.sample_index ASC, s.id ASC`;
    case "tokens":
      return `(s.input_tokens + s.output_tokens) ${direction}, s.sample_index ASC, s.id ASC`;
    case "query":
      return `s.query ${direction}, s.sample_index ASC, s.id ASC`;
    case "verdict": {
      // The schema allows only [A-Za-z0-9_.-] in the name, so it is safe as a quoted literal here; samples
      // without a verdict sort last either way.
      const name = (sortClassifier ?? "").replace(/[^A-Za-z0-9_.-]/g, "");
      const outcome = `(SELECT CASE v.status WHEN 'ok' THEN COALESCE(v.decision, 'no_decision') ELSE v.status END FROM verdicts v WHERE v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = '${name}')`;
      return `(${outcome} IS NULL) ASC, ${outcome} ${direction}, s.sample_index ASC, s.id ASC`;
    }
    case "index":
      return `s.sample_index ${direction}, s.id ${direction}`;
    case "tier":
      return `${tierRank} ${direction}, s.sample_index ASC, s.id ASC`;
    case "latency":
      return `s.latency_ms ${direction}, s.sample_index ASC, s.id ASC`;
    case "cost":
      return `(s.cost_usd IS NULL) ASC, s.cost_usd ${direction}, s.sample_index ASC, s.id ASC`;
  }
}
