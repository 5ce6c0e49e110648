import type { ItemNeighbours } from "@aflab/core";
import type { SqliteConnection } from "./sqlite-connection.js";

/**
 * The queries of a run ("items": one dataset entry, asked in every tier and epoch), for the viewer's
 * paired view. A run's items are ordered by the first sample that asked them.
 */

/** Keys of the samples that asked `itemId` in `runId`, by tier order in the run, then epoch. */
export function itemSampleKeys(db: SqliteConnection, runId: string, itemId: string): string[] {
  return db
    .prepare("SELECT key FROM samples WHERE run_id = ? AND item_id = ? ORDER BY epoch, sample_index, id")
    .pluck()
    .all(runId, itemId) as string[];
}

/** The items before and after `itemId` in the run's order (each item placed at its first sample). */
export function itemNeighbours(db: SqliteConnection, runId: string, itemId: string): ItemNeighbours {
  const row = db
    .prepare(
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
    )
    .get(runId, itemId) as {
    previous: string | null;
    next: string | null;
    position: number;
    found: number;
    total: number;
  };
  return {
    previous: row.previous,
    next: row.next,
    position: row.found > 0 ? row.position : null,
    total: row.total,
  };
}
