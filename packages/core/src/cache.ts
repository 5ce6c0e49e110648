import type { TurnReasoning } from "./transcript.js";
import type { Usage } from "./usage.js";

/** A stored model response. Reusing one costs nothing: it is reported with `cached: true`. */
export interface CachedResponse {
  texts: string[];
  stopReason: string | null;
  usage: Usage;
  model: string;
  /** Per completion, its native reasoning (null when it had none); absent when no completion had any. */
  reasoning?: Array<TurnReasoning | null>;
  /** Per completion, the provider's refusal (null when it did not refuse); absent when none was refused. */
  refusals?: Array<ApiRefusal | null>;
}

/** A refusal by the provider rather than by the model's words. */
export interface ApiRefusal {
  /** What signalled it: `stop_reason "refusal"`, `finish_reason "content_filter"` or `refusal field`,
   * with the provider's explanation when it gave one. */
  reason: string;
  /** The refusal message the provider sent apart from the content (OpenAI's `refusal` field). */
  message?: string;
}

/**
 * Where clients keep responses so a re-run or a re-classification never pays twice. The store
 * implements it on SQLite; `memoryResponseCache` serves tests and one-off scripts.
 */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
}

export function memoryResponseCache(): ResponseCache & { size(): number } {
  const entries = new Map<string, CachedResponse>();
  return {
    async get(key) {
      return entries.get(key);
    },
    async set(key, value) {
      entries.set(key, value);
    },
    size: () => entries.size,
  };
}
