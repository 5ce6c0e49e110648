import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, currentVersion, type Migration, migrations, schemaVersion } from "./migrations.js";
import { openSqlite, type SqliteConnection } from "./sqlite-connection.js";
import { openStore } from "./store.js";
import { makeRun } from "./test-fixtures.js";

let directory: string;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "aflab-store-migrations-"));
});

afterEach(async () => {
  rmSync(directory, { recursive: true, force: true });
});

function tableNames(path: string): string[] {
  const db = openSqlite(path, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

describe("migrations", () => {
  it("creates the schema on a fresh file, in directories that do not exist yet", async () => {
    const path = join(directory, "nested", "deeper", "aflab.db");
    const store = openStore(path);
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(tableNames(path)).toEqual([
      "aggregate_outcomes",
      "aggregate_sample_facets",
      "aggregate_usage",
      "aggregate_verdicts",
      "batch_requests",
      "batches",
      "labels",
      "prompt_set_members",
      "prompt_sets",
      "response_cache",
      "run_leases",
      "runs",
      "samples",
      "schema_migrations",
      "staged_verdicts",
      "sweeps",
      "system_prompts",
      "turns",
      "verdicts",
    ]);
    const db = openSqlite(path, { readonly: true });
    const recorded = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    db.close();
    expect(recorded).toEqual(migrations.map((step) => ({ version: step.version, name: step.name })));
    expect(store.schemaVersion).toBe(schemaVersion);
  });

  it("reopens an existing file without re-running migrations and keeps its data", async () => {
    const path = join(directory, "aflab.db");
    const first = openStore(path);
    await first.createRun(makeRun("run-1"));
    await first.close();
    const second = openStore(path);
    expect((await second.requireRun("run-1")).id).toBe("run-1");
    await second.close();
    const db = openSqlite(path, { readonly: true });
    const count = db.prepare("SELECT COUNT(*) FROM schema_migrations").pluck().get();
    db.close();
    expect(count).toBe(migrations.length);
  });

  it("turns on WAL, synchronous NORMAL and foreign keys", async () => {
    const path = join(directory, "aflab.db");
    const store = openStore(path);
    const db = openSqlite(path);
    // journal_mode is stored in the file, so another connection sees it; the others are per connection.
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    await store.close();
    const probe = (openStore(path) as unknown as { db: { connection: SqliteConnection } }).db.connection;
    expect(probe.pragma("synchronous", { simple: true })).toBe(1);
    expect(probe.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(probe.pragma("busy_timeout", { simple: true })).toBe(5000);
    probe.close();
  });

  it("refuses a database written by a newer schema, with a clear message", async () => {
    const path = join(directory, "aflab.db");
    await openStore(path).close();
    const db = openSqlite(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
      schemaVersion + 5,
      "from the future",
      "2030-01-01T00:00:00.000Z",
    );
    db.close();
    expect(() => openStore(path)).toThrow(InputError);
    expect(() => openStore(path)).toThrow(
      `has schema version ${schemaVersion + 5}, newer than this version of @aflab/store understands (${schemaVersion})`,
    );
  });

  it("upgrades a file written at version 1 when the store opens it, keeping its data", async () => {
    const path = join(directory, "aflab.db");
    const old = openSqlite(path);
    applyMigrations(old, migrations.slice(0, 1));
    old
      .prepare("INSERT INTO sweeps (id, config, created_at) VALUES ('kept', '{}', '2026-01-01T00:00:00Z')")
      .run();
    old.close();
    const store = openStore(path);
    expect(store.schemaVersion).toBe(schemaVersion);
    expect((await store.getSweep("kept"))?.id).toBe("kept");
    await store.close();
    const db = openSqlite(path, { readonly: true });
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all()).toEqual(
      migrations.map((step) => step.version),
    );
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'samples_by_item'").pluck().get()).toBe(
      "samples_by_item",
    );
    db.close();
  });

  it("reads a sample written at version 2 after the upgrade, with no reasoning and no refusal", async () => {
    const path = join(directory, "aflab.db");
    const old = openSqlite(path);
    applyMigrations(old, migrations.slice(0, 2));
    old
      .prepare(
        `INSERT INTO runs (id, created_at, updated_at, status, config, model, setting, label, simulated, prompt_hash, total)
         VALUES ('r', '2026-01-01', '2026-01-01', 'complete', '{"model":"sim/opus-like"}', 'sim/opus-like', 'helpful-only', NULL, 1, 'h', 1)`,
      )
      .run();
    const sample = old
      .prepare(
        `INSERT INTO samples (run_id, key, sample_index, item_id, query, tier, epoch, system_prompt_hash, status, flags,
           output, scratchpad, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, retries, latency_ms,
           started_at, finished_at)
         VALUES ('r', 'k', 0, 'i', 'q', 'free', 0, 'h', 'complete', '[]', 'answer', 'plan', 1, 2, 0, 0, 0, 5, 'a', 'b')`,
      )
      .run();
    old
      .prepare(
        "INSERT INTO turns (sample_id, turn_index, role, content, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens) VALUES (?, 1, 'assistant', 'x', 1, 2, 0, 0)",
      )
      .run(sample.lastInsertRowid);
    old.close();
    const store = openStore(path);
    const read = await store.getSample("r", "k");
    expect(read?.reasoning).toBeNull();
    expect(read?.refusal).toBeNull();
    expect(read?.scratchpadSource).toBeNull();
    expect(read?.turns[0]).not.toHaveProperty("reasoning");
    expect(read?.turns[0]?.usage).toStrictEqual({
      inputTokens: 1,
      outputTokens: 2,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    });
    // Before the source was recorded, judges read the scratchpad tags.
    expect(await store.scratchpadSources("r")).toEqual({ tags: 1 });
    await store.close();
  });

  it("applies only the pending steps to an older database, each recorded", async () => {
    const path = join(directory, "aflab.db");
    const db = openSqlite(path);
    expect(applyMigrations(db, migrations)).toBe(schemaVersion);
    db.prepare("INSERT INTO sweeps (id, config, created_at) VALUES ('s', '{}', 'now')").run();
    const extra: Migration = {
      version: schemaVersion + 1,
      name: "add a note to sweeps",
      sql: "ALTER TABLE sweeps ADD COLUMN note TEXT NOT NULL DEFAULT 'none'",
    };
    expect(applyMigrations(db, [...migrations, extra])).toBe(schemaVersion + 1);
    expect(db.prepare("SELECT id, note FROM sweeps").all()).toEqual([{ id: "s", note: "none" }]);
    // Running again is a no-op: the ALTER would fail if it ran twice.
    expect(applyMigrations(db, [...migrations, extra])).toBe(schemaVersion + 1);
    expect(currentVersion(db)).toBe(schemaVersion + 1);
    db.close();
  });

  it("rolls back a step that fails, leaving the version unchanged", async () => {
    const db = openSqlite(":memory:");
    applyMigrations(db, migrations);
    const broken: Migration = {
      version: schemaVersion + 1,
      name: "broken",
      sql: "CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL",
    };
    expect(() => applyMigrations(db, [...migrations, broken])).toThrow();
    expect(currentVersion(db)).toBe(schemaVersion);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    db.close();
  });

  it("rejects a migration list with a gap in its numbering", async () => {
    const db = openSqlite(":memory:");
    const gapped: Migration[] = [...migrations, { version: schemaVersion + 2, name: "gap", sql: "SELECT 1" }];
    expect(() => applyMigrations(db, gapped)).toThrow(`expected ${schemaVersion + 1}`);
    db.close();
  });
});
