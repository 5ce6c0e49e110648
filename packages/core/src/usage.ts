import { z } from "zod";

/** Token usage of one model call, by kind. Cache fields are zero where a provider has no prompt cache. */
export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  /**
   * Of `outputTokens`, how many the model spent reasoning, where the provider says (OpenAI-compatible
   * `completion_tokens_details.reasoning_tokens`, Anthropic `output_tokens_details.thinking_tokens`).
   * Absent when the provider reports none. Reasoning tokens are billed as output tokens, so they
   * are always included in `outputTokens` and never priced twice.
   */
  reasoningTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof usageSchema>;

export const emptyUsage: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheWriteTokens: 0,
  cacheReadTokens: 0,
});

/** The sum of two usages. Reasoning tokens are summed where either side reports them. */
export function addUsage(left: Usage, right: Usage): Usage {
  const sum: Usage = {
    inputTokens: left.inputTokens + right.inputTokens,
    outputTokens: left.outputTokens + right.outputTokens,
    cacheWriteTokens: left.cacheWriteTokens + right.cacheWriteTokens,
    cacheReadTokens: left.cacheReadTokens + right.cacheReadTokens,
  };
  if (left.reasoningTokens !== undefined || right.reasoningTokens !== undefined)
    sum.reasoningTokens = (left.reasoningTokens ?? 0) + (right.reasoningTokens ?? 0);
  return sum;
}
