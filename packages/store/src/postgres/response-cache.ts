import { type CachedResponse, parseOrThrow, type ResponseCache } from "@aflab/core";
import { z } from "zod";
import { cachedResponseSchema } from "../response-cache.js";
import type { PgDb } from "./pg-db.js";

/**
 * A `ResponseCache` on the `response_cache` table, shared by everyone on the database. As on SQLite, a
 * row that no longer parses is a miss, never a guessed response.
 */
export function postgresResponseCache(db: PgDb): ResponseCache {
  return {
    async get(key: string): Promise<CachedResponse | undefined> {
      const row = await db.get<{ value: string }>("SELECT value FROM response_cache WHERE key = ?", key);
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
      await db.run(
        `INSERT INTO response_cache (key, value, created_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
        checkedKey,
        JSON.stringify(checked),
        new Date().toISOString(),
      );
    },
  };
}
