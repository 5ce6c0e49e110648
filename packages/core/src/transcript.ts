import { z } from "zod";
import { usageSchema } from "./usage.js";

export const turnRoleSchema = z.enum(["user", "assistant"]);
export type TurnRole = z.infer<typeof turnRoleSchema>;

/** One message of a sample's conversation, in order. The system prompt is stored once per sample, not as a turn. */
export const turnSchema = z.object({
  index: z.number().int().nonnegative(),
  role: turnRoleSchema,
  content: z.string(),
  /** Assistant turns: what the provider reported. */
  usage: usageSchema.optional(),
  stopReason: z.string().nullable().optional(),
  /** Assistant turns: text the harness prefilled (e.g. `<` or `<OUTPUT>`); `content` excludes it. */
  prefill: z.string().optional(),
  latencyMs: z.number().nonnegative().optional(),
  /** True when the response came from the response cache and cost nothing. */
  cached: z.boolean().optional(),
});
export type Turn = z.infer<typeof turnSchema>;

/** Why a transcript's structure is broken: typed, never a silent refusal. */
export const transcriptProblemSchema = z.enum([
  "no_output", // no <OUTPUT> after the last allowed turn
  "unclosed_tag", // a scratchpad or output tag opened and never closed
  "output_in_scratchpad", // <OUTPUT> written inside a scratchpad block
  "raw_text", // neither scratchpad nor output tags: the raw text was taken as the answer
  "empty_output", // an <OUTPUT> block with nothing in it
]);
export type TranscriptProblem = z.infer<typeof transcriptProblemSchema>;
