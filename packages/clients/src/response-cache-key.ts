import { createHash } from "node:crypto";
import type { ChatMessage } from "./model-client.js";

/** Everything that makes two requests the same request. The API key is deliberately not part of it. */
export interface ResponseCacheKeyInput {
  provider: string;
  model: string;
  baseUrl: string;
  system: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
  prefill: string | undefined;
  n: number;
  epoch: number | undefined;
  seed: number | undefined;
  /** Anthropic extended thinking budget; part of the key only when set. */
  thinkingBudget?: number | undefined;
}

/**
 * The response-cache key of a request: the sha256 (hex) of its identifying fields in a fixed order.
 *
 * @example responseCacheKey({ provider: "anthropic", model: "claude-3-opus-20240229", ... })
 */
export function responseCacheKey(input: ResponseCacheKeyInput): string {
  // An array in a fixed order keeps the key stable whatever order the caller built the object in.
  const canonical = JSON.stringify([
    "aflab-response-v1",
    input.provider,
    input.model,
    input.baseUrl,
    input.system,
    // Reasoning sent back (Anthropic thinking blocks) is part of the request; keys of requests without it
    // keep the shape they always had, so existing cache entries stay valid.
    input.messages.map((message) =>
      message.reasoning
        ? [message.role, message.content, message.reasoning]
        : [message.role, message.content],
    ),
    input.temperature,
    input.maxTokens,
    input.prefill ?? null,
    input.n,
    input.epoch ?? null,
    input.seed ?? null,
    ...(input.thinkingBudget === undefined ? [] : [{ thinkingBudget: input.thinkingBudget }]),
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
