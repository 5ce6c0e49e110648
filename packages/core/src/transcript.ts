import { z } from "zod";
import { usageSchema } from "./usage.js";

export const turnRoleSchema = z.enum(["user", "assistant"]);
export type TurnRole = z.infer<typeof turnRoleSchema>;

/**
 * One block of a turn's native reasoning, byte for byte as the provider sent it.
 * - `text`: readable reasoning (an Anthropic `thinking` block, a `reasoning_content` / `reasoning` field,
 *   or the inside of a leading `<think>` block). `signature` is Anthropic's, kept so the block can be
 *   sent back unchanged in the next turn of the conversation.
 * - `redacted`: reasoning the provider encrypted (Anthropic `redacted_thinking`): nobody can read it;
 *   `data` is kept opaque for sending back, `size` is its length in characters.
 */
export const reasoningBlockSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string(), signature: z.string().optional() }),
  z.object({ kind: z.literal("redacted"), data: z.string(), size: z.number().int().nonnegative() }),
]);
export type ReasoningBlock = z.infer<typeof reasoningBlockSchema>;

/** Where a turn's reasoning came from: Anthropic thinking blocks, an OpenAI-compatible message field, or
 * a leading `<think>…</think>` block moved out of the text. */
export const reasoningSourceSchema = z.enum(["thinking", "reasoning_content", "reasoning", "think_tag"]);
export type ReasoningSource = z.infer<typeof reasoningSourceSchema>;

/** An assistant turn's native reasoning, stored apart from its text (DESIGN §1a). */
export const turnReasoningSchema = z.object({
  source: reasoningSourceSchema,
  blocks: z.array(reasoningBlockSchema).min(1, "expected at least one reasoning block"),
});
export type TurnReasoning = z.infer<typeof turnReasoningSchema>;

/**
 * The readable part of a turn's reasoning: its text blocks joined by a blank line (each block is a
 * separate stretch of thinking), or null when it has none (no reasoning, or only redacted blocks).
 */
export function reasoningText(reasoning: TurnReasoning | undefined | null): string | null {
  if (!reasoning) return null;
  const texts = reasoning.blocks.flatMap((block) => (block.kind === "text" ? [block.text] : []));
  return texts.length > 0 ? texts.join("\n\n") : null;
}

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
  /** Assistant turns: native reasoning, apart from `content` (which never contains it). */
  reasoning: turnReasoningSchema.optional(),
  /** Assistant turns: the refusal message a provider put beside the content (OpenAI's `refusal` field). */
  refusal: z.string().optional(),
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
