import type { ApiRefusal, ModelPrice, TurnReasoning, Usage } from "@aflab/core";
import type { BatchApi } from "./batches.js";
import type { RetryEvent } from "./retry.js";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  /**
   * Assistant messages: the native reasoning the model produced with this text. Anthropic gets its
   * thinking blocks back unchanged (signatures and redacted data included), as extended thinking requires
   * in a multi-turn conversation; OpenAI-compatible servers are sent the text only, as they require.
   */
  reasoning?: TurnReasoning;
}

/**
 * Whether a client's replies can carry native reasoning:
 * - `none`: never (the simulated organism; OpenAI's own API keeps its models' reasoning hidden);
 * - `extended-thinking`: only when a request sets `thinkingBudget` (Anthropic);
 * - `model-dependent`: depends on the model behind the server (OpenAI-compatible servers).
 */
export type NativeReasoning = "none" | "extended-thinking" | "model-dependent";

export interface GenerateRequest {
  /** The system prompt; sent with prompt caching where the provider supports it. */
  system: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
  /** Text the assistant turn starts with (Anthropic prefill). Providers without prefill append it as a
   * partial assistant message where the server allows it, or ignore it: see `supportsPrefill`. */
  prefill?: string;
  /** Number of completions (judge votes). Providers without `n` make `n` requests. Default 1. */
  n?: number;
  /** Repetition index: part of the response-cache key so epochs are sampled independently. */
  epoch?: number;
  /** Seed for simulated models and providers that accept one. */
  seed?: number;
  /** Anthropic extended thinking: the budget in tokens (at least 1024, below `maxTokens`; temperature 1;
   * no prefill). Other providers refuse it. */
  thinkingBudget?: number;
  signal?: AbortSignal;
  /** Hears this request's failed attempts before each retry (besides the client's own listener). */
  onRetry?: (event: RetryEvent) => void;
}

export interface GenerateResult {
  /** One text per completion (length n), without the prefill and without native reasoning. */
  texts: string[];
  /** Per completion, its native reasoning byte for byte (null when it had none). Absent when none had any. */
  reasoning?: Array<TurnReasoning | null>;
  /** Per completion, the provider's refusal (null when it did not refuse). Absent when none was refused. */
  refusals?: Array<ApiRefusal | null>;
  stopReason: string | null;
  usage: Usage;
  /** USD from the pricing table; 0 when cached; null when the model has no known price. */
  costUsd: number | null;
  /** The model the provider says answered. */
  model: string;
  /** True when every text came from the response cache. */
  cached: boolean;
  /** Retries spent on this request (0 when the first attempt succeeded). */
  retries: number;
  latencyMs: number;
}

/** What a token count measures: a system prompt and one user message made of `texts` as separate blocks. */
export interface TokenCountRequest {
  system: string;
  texts: string[];
}

/** One interface over every provider. Implementations are safe to call concurrently. */
export interface ModelClient {
  /** Full model id, `provider/model`. */
  readonly id: string;
  readonly provider: string;
  /** True for the simulated organism: runs on it are labelled simulated everywhere. */
  readonly simulated: boolean;
  readonly supportsPrefill: boolean;
  /** Whether replies can carry native reasoning; absent means unknown (treated as `model-dependent`). */
  readonly nativeReasoning?: NativeReasoning;
  /** Whether one request returns `n` completions; without it `n` votes are `n` requests. Absent: unknown. */
  readonly supportsN?: boolean;
  /** The price the client bills at (USD per million tokens); null when unknown; absent when not known here. */
  readonly price?: ModelPrice | null;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** The provider's batch API (half price, results within a day); absent where the client has none. */
  readonly batches?: BatchApi;
  /**
   * The provider's own count of a request's input tokens, without calling the model (Anthropic's
   * count-tokens endpoint). Absent where the provider has no such count.
   */
  countTokens?(request: TokenCountRequest): Promise<number>;
}
