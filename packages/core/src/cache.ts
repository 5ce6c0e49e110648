import type { Usage } from "./usage.js";

/** A stored model response. Reusing one costs nothing: it is reported with `cached: true`. */
export interface CachedResponse {
  texts: string[];
  stopReason: string | null;
  usage: Usage;
  model: string;
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
