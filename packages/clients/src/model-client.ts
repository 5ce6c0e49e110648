import type { Usage } from "@aflab/core";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

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
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** One text per completion (length n), without the prefill. */
  texts: string[];
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

/** One interface over every provider. Implementations are safe to call concurrently. */
export interface ModelClient {
  /** Full model id, `provider/model`. */
  readonly id: string;
  readonly provider: string;
  /** True for the simulated organism: runs on it are labelled simulated everywhere. */
  readonly simulated: boolean;
  readonly supportsPrefill: boolean;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}
