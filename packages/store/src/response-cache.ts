import {
  type CachedResponse,
  parseOrThrow,
  type ResponseCache,
  turnReasoningSchema,
  usageSchema,
} from "@aflab/core";
import { z } from "zod";
import type { SqliteConnection } from "./sqlite-connection.js";

/** The shape of a cached response, checked on the way in and on the way out. */
export const cachedResponseSchema = z.object({
  texts: z.array(z.string()),
  stopReason: z.string().nullable(),
  usage: usageSchema,
  model: z.string(),
  reasoning: z.array(turnReasoningSchema.nullable()).optional(),
  refusals: z.array(z.object({ reason: z.string(), message: z.string().optional() }).nullable()).optional(),
});

/**
 * A `ResponseCache` on the `response_cache` table. A row that no longer parses (hand-edited, or written by
 * incompatible code) is treated as a miss: the caller pays for one fresh response, which then overwrites it.
 * That is the only safe answer for a cache; returning a guessed response would be worse.
 */
export function sqliteResponseCache(db: SqliteConnection): ResponseCache {
  const select = db.prepare("SELECT value FROM response_cache WHERE key = ?");
  const upsert = db.prepare(
    "INSERT INTO response_cache (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
  );
  return {
    async get(key: string): Promise<CachedResponse | undefined> {
      const row = select.get(key) as { value: string } | undefined;
      if (!row) return undefined;
      let value: unknown;
      try {
        value = JSON.parse(row.value);
      } catch {
        return undefined;
      }
      const parsed = cachedResponseSchema.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    },
    async set(key: string, value: CachedResponse): Promise<void> {
      const checkedKey = parseOrThrow(z.string().min(1, "expected a non-empty key"), key, "cache key");
      const checked = parseOrThrow(cachedResponseSchema, value, "cached response");
      upsert.run(checkedKey, JSON.stringify(checked), new Date().toISOString());
    },
  };
}
