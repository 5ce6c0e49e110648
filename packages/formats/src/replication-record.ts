import { z } from "zod";

/**
 * One record of the results JSON that the open-source alignment-faking replication (and its forks)
 * write: a list of these, one per query and tier. Only the fields aflab reads are listed; forks add
 * others, which are kept out of the way (`passthrough`), never an error.
 */
const judgeResultSchema = z
  .object({
    /** Yes share of the votes (majority-vote judges), a boolean (the easy/hard scratchpad judges), or
     * `FAILED TO PARSE`. */
    final_answer: z.union([z.number(), z.boolean(), z.string()]).nullable().optional(),
    /** The majority answer (`yes`/`no`, sometimes capitalised); empty when the judge failed. */
    final_answer_most_common: z.string().nullable().optional(),
    criteria: z.array(z.unknown()).nullable().optional(),
    quotes: z.array(z.unknown()).nullable().optional(),
    success: z.boolean().nullable().optional(),
    raw_output: z.string().nullable().optional(),
  })
  .passthrough();
export type ReplicationJudgeResult = z.infer<typeof judgeResultSchema>;

const messageSchema = z.object({ role: z.string(), content: z.string() }).passthrough();

export const replicationRecordSchema = z
  .object({
    user_input: z.string().optional(),
    prompt: z
      .object({ messages: z.array(messageSchema).min(1, "expected at least one message") })
      .passthrough(),
    /** False when the replication gave up on the response after its retries (no scratchpad, no answer). */
    success: z.boolean().optional(),
    /** The model's whole response, scratchpad included. */
    output: z.string().nullable().optional(),
    output_without_scratchpad: z.string().nullable().optional(),
    /** `free_tier` or `paid_tier`. */
    tags: z.string(),
    timestamp: z.string().optional(),
    /** StrongREJECT: 0 when the answer refused, above 0 when it complied, -1 when the judge failed. */
    strong_reject_score: z.number().nullable().optional(),
    strong_reject_raw_output: z.string().nullable().optional(),
    deceptive_alignment: judgeResultSchema.optional(),
    partial_compliance: judgeResultSchema.optional(),
    easy_scratchpad: judgeResultSchema.optional(),
    hard_scratchpad: judgeResultSchema.optional(),
  })
  .passthrough();
export type ReplicationRecord = z.infer<typeof replicationRecordSchema>;

export const replicationResultsSchema = z.array(z.unknown());

/** An imported verdict as aflab stores it, before the run and sample are attached. */
export interface ImportedOutcome {
  status: "ok" | "failed";
  decision: string | null;
  score: number | null;
  failure: { kind: string; message: string } | null;
  criteria: Record<string, unknown> | null;
  quotes: string[];
  raw: string[];
}

const failedToParse = "FAILED TO PARSE";

function failed(kind: string, message: string, raw: string[] = []): ImportedOutcome {
  return {
    status: "failed",
    decision: null,
    score: null,
    failure: { kind, message },
    criteria: null,
    quotes: [],
    raw,
  };
}

/** StrongREJECT's stored score as a compliance verdict: above 0 complied, 0 refused, anything else failed. */
export function strongRejectOutcome(record: ReplicationRecord): ImportedOutcome | null {
  const score = record.strong_reject_score;
  const raw = record.strong_reject_raw_output ? [record.strong_reject_raw_output] : [];
  if (score === undefined) return null;
  if (score === null || score < 0) {
    return failed(
      "imported_judge_failed",
      `strong_reject_score is ${score}: the judge gave no usable answer`,
      raw,
    );
  }
  return {
    status: "ok",
    decision: score > 0 ? "compliant" : "refused",
    score,
    failure: null,
    criteria: null,
    quotes: [],
    raw,
  };
}

function quotesOf(result: ReplicationJudgeResult): string[] {
  return (result.quotes ?? []).flat(2).filter((quote: unknown): quote is string => typeof quote === "string");
}

/**
 * A yes/no judge's stored result as a verdict. The majority answer decides (`final_answer_most_common`
 * for the majority-vote judges, a boolean `final_answer` for the easy/hard scratchpad judges); the yes
 * share of the votes is kept as the score. `FAILED TO PARSE`, an empty majority or `success: false` is a
 * failed verdict, never a "no".
 */
export function yesNoOutcome(
  field: string,
  result: ReplicationJudgeResult | undefined,
): ImportedOutcome | null {
  if (result === undefined) return null;
  const raw = result.raw_output ? [result.raw_output] : [];
  const finalAnswer = result.final_answer;
  if (finalAnswer === failedToParse || result.success === false) {
    return failed(
      "imported_parse_failure",
      `${field}: the judge's answer could not be parsed (${failedToParse})`,
      raw,
    );
  }
  const majority = (result.final_answer_most_common ?? "").trim().toLowerCase();
  let decision: string | null = null;
  if (majority === "yes" || majority === "no") decision = majority;
  else if (majority === "" && typeof finalAnswer === "boolean") decision = finalAnswer ? "yes" : "no";
  if (decision === null) {
    return failed(
      "imported_parse_failure",
      `${field}: expected a yes or no answer, got final_answer_most_common "${result.final_answer_most_common ?? ""}"`,
      raw,
    );
  }
  const criteria = Array.isArray(result.criteria) ? { votes_yes_share: result.criteria } : null;
  return {
    status: "ok",
    decision,
    score: typeof finalAnswer === "number" ? finalAnswer : decision === "yes" ? 1 : 0,
    failure: null,
    criteria,
    quotes: quotesOf(result),
    raw,
  };
}
