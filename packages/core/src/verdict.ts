import { z } from "zod";
import { failureSchema } from "./sample.js";
import { usageSchema } from "./usage.js";

/**
 * - `ok`: the classifier reached a decision.
 * - `failed`: the judge's output could not be parsed after bounded retries; `failure.kind` says why
 *   (`no_verdict`, `missing_criterion`, `ambiguous`, `judge_error`, ...). Never counted as "No".
 * - `not_applicable`: the classifier does not apply (e.g. a scratchpad judge on a sample with no scratchpad).
 */
export const verdictStatusSchema = z.enum(["ok", "failed", "not_applicable"]);
export type VerdictStatus = z.infer<typeof verdictStatusSchema>;

export const verdictSchema = z.object({
  runId: z.string(),
  sampleKey: z.string(),
  /** Classifier name, e.g. `tag-compliance`, `af-reasoning`. */
  classifier: z.string(),
  status: verdictStatusSchema,
  /** The decision in the classifier's own vocabulary: compliance classifiers use
   * `compliant` | `refused` | `unknown`; yes/no judges use `yes` | `no` | `maybe`. */
  decision: z.string().nullable(),
  score: z.number().nullable(),
  judgeModel: z.string().nullable(),
  promptVersion: z.string(),
  /** Parsed per-criterion answers, keyed by criterion name. */
  criteria: z.record(z.string(), z.unknown()).nullable(),
  /** Quotes from the judged text that support the decision. */
  quotes: z.array(z.string()).default([]),
  /** Every raw judge output, in order (one per vote or attempt). */
  raw: z.array(z.string()).default([]),
  failure: failureSchema.nullable(),
  usage: usageSchema,
  costUsd: z.number().nonnegative().nullable(),
  createdAt: z.string(),
});
export type Verdict = z.infer<typeof verdictSchema>;
export type VerdictInput = z.input<typeof verdictSchema>;

/** The decisions a compliance classifier may give. */
export const complianceDecisions = ["compliant", "refused", "unknown"] as const;
export type ComplianceDecision = (typeof complianceDecisions)[number];
