import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  availableSqliteDrivers,
  openSqlite,
  resolveSqliteDriver,
  type SqliteDriver,
} from "./sqlite-connection.js";
import { openStore } from "./store.js";
import { collect, makeRun, makeSample, makeVerdict } from "./test-fixtures.js";

const drivers = availableSqliteDrivers();
// Checked against Node's version, independently of how the code detects the module.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const nodeHasSqlite = major > 22 || (major === 22 && minor >= 13);

let directory: string;
const savedChoice = process.env.AFLAB_SQLITE_DRIVER;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-sqlite-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
  if (savedChoice === undefined) delete process.env.AFLAB_SQLITE_DRIVER;
  else process.env.AFLAB_SQLITE_DRIVER = savedChoice;
});

describe("driver choice", () => {
  it("prefers node:sqlite on Node 24 and later, else better-sqlite3 where it loads", () => {
    delete process.env.AFLAB_SQLITE_DRIVER;
    const expected =
      major >= 24 || (nodeHasSqlite && !drivers.includes("better-sqlite3")) ? "node" : "better-sqlite3";
    expect(resolveSqliteDriver()).toBe(expected);
    expect(drivers.length).toBeGreaterThan(0);
  });

  it("takes AFLAB_SQLITE_DRIVER, and an explicit option over it", () => {
    process.env.AFLAB_SQLITE_DRIVER = "better-sqlite3";
    expect(resolveSqliteDriver()).toBe("better-sqlite3");
    if (nodeHasSqlite) expect(resolveSqliteDriver("node")).toBe("node");
  });

  it("names the variable and the accepted values for an unknown driver", () => {
    process.env.AFLAB_SQLITE_DRIVER = "sqlite4";
    expect(() => resolveSqliteDriver()).toThrow(/AFLAB_SQLITE_DRIVER.*(node|better-sqlite3)/s);
    expect(() => openStore(":memory:", { driver: "sqlite4" as SqliteDriver })).toThrow(/store option driver/);
  });

  it.runIf(!nodeHasSqlite)("explains that node:sqlite needs a newer Node", () => {
    expect(() => resolveSqliteDriver("node")).toThrow(/needs Node 22.13 or later/);
  });
});

describe.each(drivers)("the %s driver", (driver) => {
  it("commits a transaction, rolls back one that throws, and nests savepoints", () => {
    const db = openSqlite(":memory:", { driver });
    db.exec("CREATE TABLE t (x INTEGER)");
    const insert = db.prepare("INSERT INTO t (x) VALUES (?)");
    db.transaction(() => insert.run(1)).immediate();
    expect(() =>
      db
        .transaction(() => {
          insert.run(2);
          throw new Error("abandon");
        })
        .immediate(),
    ).toThrow("abandon");
    db.transaction(() => {
      insert.run(3);
      expect(db.inTransaction).toBe(true);
      expect(() =>
        db.transaction(() => {
          insert.run(4);
          throw new Error("inner");
        })(),
      ).toThrow("inner");
      db.transaction(() => insert.run(5))();
    }).immediate();
    expect(db.inTransaction).toBe(false);
    expect(db.prepare("SELECT x FROM t ORDER BY x").pluck().all()).toEqual([1, 3, 5]);
    db.close();
    expect(db.open).toBe(false);
  });

  it("binds named and positional parameters, plucks, iterates and reads pragmas", () => {
    const db = openSqlite(":memory:", { driver, timeout: 1234 });
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)");
    const result = db
      .prepare("INSERT INTO t (name, score) VALUES (@name, @score)")
      .run({ name: "a", score: 0.5 });
    expect(result).toMatchObject({ changes: 1, lastInsertRowid: 1 });
    db.prepare("INSERT INTO t (name, score) VALUES (?, ?)").run("b", null);
    expect({ ...(db.prepare("SELECT * FROM t WHERE id = ?").get(1) as object) }).toEqual({
      id: 1,
      name: "a",
      score: 0.5,
    });
    expect([...db.prepare("SELECT name FROM t ORDER BY id").pluck().iterate()]).toEqual(["a", "b"]);
    expect(db.prepare("SELECT name FROM t WHERE id = 9").pluck().get()).toBeUndefined();
    expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    db.close();
  });

  it("opens the bytes of a database read-only", () => {
    const path = join(directory, "bytes.db");
    const writer = openSqlite(path, { driver });
    writer.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')");
    writer.close();
    const reader = openSqlite(readFileSync(path), { driver, readonly: true });
    expect(reader.prepare("SELECT x FROM t").pluck().get()).toBe("kept");
    expect(() => reader.exec("INSERT INTO t VALUES ('no')")).toThrow(/readonly|read-only|query_only/i);
    reader.close();
  });

  it("keeps text with NUL characters whole, or (node:sqlite on Node 22) refuses it", () => {
    const db = openSqlite(":memory:", { driver });
    db.exec("CREATE TABLE t (x TEXT)");
    const text = "before\u0000after";
    if (driver === "node" && major < 24) {
      expect(() => db.prepare("INSERT INTO t VALUES (@x)").run({ x: text })).toThrow(/NUL character/);
    } else {
      db.prepare("INSERT INTO t VALUES (?)").run(text);
      expect(db.prepare("SELECT x FROM t").pluck().get()).toBe(text);
    }
    db.close();
  });

  it("refuses a missing file with fileMustExist", () => {
    expect(() =>
      openSqlite(join(directory, "absent.db"), { driver, fileMustExist: true, readonly: true }),
    ).toThrow();
  });
});

/** A run with samples, turns and verdicts, written through the store with `writer`. */
async function writeRun(path: string, writer: SqliteDriver): Promise<void> {
  const store = openStore(path, { driver: writer });
  await store.createRun(makeRun("run-1", { total: 6 }));
  await store.putSamples([0, 1, 2, 3, 4, 5].map((index) => makeSample("run-1", index)));
  await store.putVerdicts(
    [0, 1, 2, 3, 4, 5].map((index) =>
      makeVerdict("run-1", `key-${index}`, "tag-compliance", {
        decision: index % 3 === 0 ? "compliant" : "refused",
      }),
    ),
  );
  await store.close();
}

async function readRun(path: string, reader: SqliteDriver, readOnly: boolean) {
  const store = openStore(path, { driver: reader, readOnly });
  try {
    return {
      run: await store.getRun("run-1"),
      samples: await collect(store.iterateSamples("run-1", { withTurns: true })),
      verdicts: await collect(store.iterateVerdicts("run-1")),
      tiers: await store.tierCounts("run-1", "tag-compliance"),
      usage: await store.runUsage("run-1"),
    };
  } finally {
    await store.close();
  }
}

describe.runIf(drivers.length === 2)("one file, two drivers", () => {
  for (const [writer, reader] of [
    ["node", "better-sqlite3"],
    ["better-sqlite3", "node"],
  ] as const) {
    it(`reads with ${reader} what ${writer} wrote, writable and read-only, exactly as ${writer} reads it`, async () => {
      const path = join(directory, `${writer}.db`);
      await writeRun(path, writer);
      const own = await readRun(path, writer, true);
      expect(own.samples).toHaveLength(6);
      expect(own.verdicts).toHaveLength(6);
      expect(await readRun(path, reader, true)).toEqual(own);
      expect(await readRun(path, reader, false)).toEqual(own);
    });
  }
});
