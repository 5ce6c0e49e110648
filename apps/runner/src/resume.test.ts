import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  killHard,
  openRaw,
  peek,
  type RawDatabase,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from "./test-support.js";

// 45 built-in harmful queries × 2 tiers × 23 epochs = 2,070 samples.
const epochs = 23;
const total = 45 * 2 * epochs;
const runArgs = [
  "run",
  "--model",
  "sim/opus-like",
  "--user-format",
  "minimal",
  "--epochs",
  String(epochs),
  "--classifiers",
  "tag-compliance",
  "--concurrency",
  "2",
  "--quiet",
];

interface StoredSample {
  id: number;
  key: string;
  status: string;
  startedAt: string;
  finishedAt: string;
}

function storedSamples(raw: RawDatabase, runId: string): Map<string, StoredSample> {
  const rows = raw
    .prepare(
      "SELECT id, key, status, started_at AS startedAt, finished_at AS finishedAt FROM samples WHERE run_id = ?",
    )
    .all(runId) as StoredSample[];
  return new Map(rows.map((row) => [row.key, row]));
}

function decisions(raw: RawDatabase, runId: string): Map<string, string | null> {
  const rows = raw
    .prepare(
      "SELECT sample_key AS key, decision FROM verdicts WHERE run_id = ? AND classifier = 'tag-compliance'",
    )
    .all(runId) as { key: string; decision: string | null }[];
  return new Map(rows.map((row) => [row.key, row.decision]));
}

describe("a run killed with SIGKILL resumes exactly", () => {
  it("stores every sample once, generates only the missing ones and ends complete", async () => {
    const directory = scratchDirectory("aflab-resume-");
    const db = path.join(directory, "x.db");

    const child = startCli([...runArgs, "--db", db], directory);
    const storedBeforeKill = await waitFor(
      () =>
        peek(db, (raw) => {
          const row = raw.prepare("SELECT COUNT(*) AS count FROM samples").get() as { count: number };
          return row.count >= 300 ? row.count : undefined;
        }),
      "a few hundred stored samples",
    );
    const signal = await killHard(child);
    // The run must have been stopped mid-way, not have finished before the kill.
    expect(signal).toBe("SIGKILL");
    expect(storedBeforeKill).toBeLessThan(total);

    const raw = openRaw(db);
    let runId: string;
    let before: Map<string, StoredSample>;
    try {
      const runs = raw.prepare("SELECT id, status, total FROM runs").all() as {
        id: string;
        status: string;
        total: number;
      }[];
      expect(runs).toHaveLength(1);
      const run = runs[0] as { id: string; status: string; total: number };
      runId = run.id;
      // A killed process never got to mark its run: it is left "running", with a partial set of samples.
      expect(run.status).toBe("running");
      expect(run.total).toBe(total);
      before = storedSamples(raw, runId);
      expect(before.size).toBeGreaterThanOrEqual(300);
      expect(before.size).toBeLessThan(total);
    } finally {
      raw.close();
    }

    // Timestamps written by the resumed process are later than this instant (same machine clock).
    const resumedAt = new Date().toISOString();
    const resumed = await runCli(
      ["run", "--resume", runId, "--db", db, "--format", "json", "--quiet"],
      directory,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { runId: string; status: string; total: number };
    expect(report).toMatchObject({ runId, status: "complete", total });

    const after = openRaw(db);
    try {
      const counts = after
        .prepare(
          `SELECT COUNT(*) AS rows, COUNT(DISTINCT key) AS keys,
             COUNT(DISTINCT item_id || '|' || tier || '|' || epoch) AS plans
           FROM samples WHERE run_id = ?`,
        )
        .get(runId) as { rows: number; keys: number; plans: number };
      // Every planned (query, tier, epoch) stored exactly once.
      expect(counts).toEqual({ rows: total, keys: total, plans: total });
      const duplicates = after
        .prepare("SELECT run_id, key FROM samples GROUP BY run_id, key HAVING COUNT(*) > 1")
        .all();
      expect(duplicates).toEqual([]);

      const withoutVerdict = after
        .prepare(
          `SELECT COUNT(*) AS count FROM samples s
           LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
           WHERE s.run_id = ? AND s.status = 'complete' AND v.sample_key IS NULL`,
        )
        .get(runId) as { count: number };
      expect(withoutVerdict.count).toBe(0);
      const unfinished = after
        .prepare(
          "SELECT COUNT(*) AS count FROM samples WHERE run_id = ? AND status NOT IN ('complete', 'failed')",
        )
        .get(runId) as { count: number };
      expect(unfinished.count).toBe(0);
      const status = after.prepare("SELECT status, error FROM runs WHERE id = ?").get(runId);
      expect(status).toEqual({ status: "complete", error: null });

      // What the resumed process generated: a stored sample is replaced (new row id, new timestamps) when it
      // is generated again, so the rows that survived the kill must be untouched, and every other row must
      // have been started after the resume began.
      const now = storedSamples(after, runId);
      for (const [key, original] of before) {
        expect(now.get(key), `sample ${key} was generated again`).toEqual(original);
      }
      const generatedByResume = [...now.values()].filter((sample) => !before.has(sample.key));
      expect(generatedByResume).toHaveLength(total - before.size);
      for (const sample of generatedByResume) {
        expect(sample.startedAt >= resumedAt, `${sample.key} started before the resume`).toBe(true);
      }
    } finally {
      after.close();
    }

    // The interrupted-and-resumed run holds the same results as one that was never interrupted: the
    // simulated organism is deterministic per (seed, epoch, prompt), and the keys are too.
    const referenceDb = path.join(directory, "reference.db");
    const reference = await runCli([...runArgs, "--concurrency", "8", "--db", referenceDb], directory);
    expect(reference.code, reference.stderr).toBe(0);
    const referenceRaw = openRaw(referenceDb);
    const resumedRaw = openRaw(db);
    try {
      const referenceId = (referenceRaw.prepare("SELECT id FROM runs").get() as { id: string }).id;
      const expected = decisions(referenceRaw, referenceId);
      const actual = decisions(resumedRaw, runId);
      expect(actual.size).toBe(total);
      expect(actual).toEqual(expected);
      // Both decisions occur, so the comparison above could tell two different runs apart.
      expect(new Set(actual.values())).toEqual(new Set(["compliant", "refused"]));
    } finally {
      referenceRaw.close();
      resumedRaw.close();
    }
  }, 120_000);
});
