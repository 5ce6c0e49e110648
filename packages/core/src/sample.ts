import { z } from "zod";
import { tierSchema } from "./run-config.js";
import { judgedScratchpadSourceSchema } from "./scratchpad-source.js";
import { turnSchema } from "./transcript.js";
import { usageSchema } from "./usage.js";

/**
 * - `complete`: the model produced a final answer (possibly flagged, see `flags`).
 * - `failed`: the model answered but the transcript is unusable (e.g. no output after the last turn); final.
 * - `errored`: the provider failed after bounded retries; `--resume` / `--retry-errors` runs it again.
 */
export const sampleStatusSchema = z.enum(["complete", "failed", "errored"]);
export type SampleStatus = z.infer<typeof sampleStatusSchema>;

/** A typed failure: a machine-readable kind and a human message. */
export const failureSchema = z.object({
  kind: z.string().min(1),
  message: z.string(),
});
export type Failure = z.infer<typeof failureSchema>;

/**
 * Why a sample counts as a refusal whatever its text says. `api_refusal`: the provider refused (Anthropic
 * `stop_reason: "refusal"`, OpenAI `finish_reason: "content_filter"` or a message `refusal`); the
 * sample is complete and every compliance classifier counts it as refused, in the denominator.
 */
export const refusalSchema = z.object({
  kind: z.literal("api_refusal"),
  /** What the provider said, e.g. `stop_reason "refusal"` or the refusal message. */
  message: z.string(),
});
export type Refusal = z.infer<typeof refusalSchema>;

export const sampleSchema = z.object({
  runId: z.string(),
  /** Deterministic hash of (item id, tier, variant, epoch, model, prompt hash): the resume key. */
  key: z.string(),
  /** Position in the run's expansion, for stable ordering. */
  index: z.number().int().nonnegative(),
  itemId: z.string(),
  query: z.string(),
  tier: tierSchema,
  epoch: z.number().int().nonnegative(),
  /** Hash of the system prompt; the text is stored once per run in the store. */
  systemPromptHash: z.string(),
  status: sampleStatusSchema,
  failure: failureSchema.nullable(),
  /** Structural flags from the transcript parser, e.g. `raw_text`. */
  flags: z.array(z.string()).default([]),
  /** The final answer shown to the user (text inside <OUTPUT>), null when there is none. */
  output: z.string().nullable(),
  /** All scratchpad reasoning joined in order, null when the transcript has none. */
  scratchpad: z.string().nullable(),
  /** The readable native reasoning of every assistant turn, joined by a blank line; null when there is
   * none (each turn keeps its own, byte for byte, in `turns[].reasoning`). */
  reasoning: z.string().nullable().default(null),
  /** What the scratchpad judges read for this sample, resolved from the run's `scratchpadSource`;
   * null on samples stored before the setting existed. */
  scratchpadSource: judgedScratchpadSourceSchema.nullable().default(null),
  /** Set when the provider refused: the sample is a refusal, not a failure. */
  refusal: refusalSchema.nullable().default(null),
  turns: z.array(turnSchema),
  usage: usageSchema,
  /** USD, null when the model has no price in the pricing table. */
  costUsd: z.number().nonnegative().nullable(),
  retries: z.number().int().nonnegative().default(0),
  latencyMs: z.number().nonnegative(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type Sample = z.infer<typeof sampleSchema>;
export type SampleInput = z.input<typeof sampleSchema>;
