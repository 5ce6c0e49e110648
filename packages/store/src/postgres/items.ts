import type { ItemNeighbours } from "@aflab/core";
import type { PgDb } from "./pg-db.js";

/** Keys of the samples that asked `itemId` in `runId`, by epoch, then run order. */
export async function itemSampleKeys(db: PgDb, runId: string, itemId: string): Promise<string[]> {
  return db.column<string>(
    "SELECT key FROM samples WHERE run_id = ? AND item_id = ? ORDER BY epoch, sample_index, id",
    runId,
    itemId,
  );
}

/** The items before and after `itemId` in the run's order (each item placed at its first sample). */
export async function itemNeighbours(db: PgDb, runId: string, itemId: string): Promise<ItemNeighbours> {
  const row = await db.get<{
    previous: string | null;
    next: string | null;
    position: number;
    found: number;
    total: number;
  }>(
    `WITH items AS (
       SELECT item_id, MIN(sample_index) AS first FROM samples WHERE run_id = ? GROUP BY item_id
     ),
     current AS (SELECT first FROM items WHERE item_id = ?)
     SELECT
       (SELECT item_id FROM items, current WHERE items.first < current.first
          ORDER BY items.first DESC, items.item_id DESC LIMIT 1) AS previous,
       (SELECT item_id FROM items, current WHERE items.first > current.first
          ORDER BY items.first ASC, items.item_id ASC LIMIT 1) AS next,
       (SELECT COUNT(*) FROM items, current WHERE items.first <= current.first) AS position,
       (SELECT COUNT(*) FROM current) AS found,
       (SELECT COUNT(*) FROM items) AS total`,
    runId,
    itemId,
  );
  if (!row) return { previous: null, next: null, position: null, total: 0 };
  return {
    previous: row.previous,
    next: row.next,
    position: row.found > 0 ? row.position : null,
    total: row.total,
  };
}
