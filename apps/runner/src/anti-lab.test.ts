import path from "node:path";
import { describe, expect, it } from "vitest";
import { openRaw, runCli, scratchDirectory } from "./test-support.js";

describe("aflab anti-lab", () => {
  it("reports per tier how often the offered chance was taken, matching the stored verdicts", async () => {
    const directory = scratchDirectory("aflab-anti-lab-");
    const db = path.join(directory, "anti.db");
    const run = await runCli(
      [
        "run",
        "--model",
        "sim/custom?free=0.1&paid=0.1&antiLab=0.5",
        "--dataset",
        "builtin:anti-ai-lab",
        "--classifiers",
        "strongreject,anti-lab",
        "--judge",
        "sim/judge",
        "--epochs",
        "3",
        "--db",
        db,
        "--quiet",
        "--format",
        "json",
      ],
      directory,
    );
    expect(run.code).toBe(0);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const result = await runCli(["anti-lab", runId, "--db", db, "--format", "json"], directory);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runs: { tiers: Record<string, { yes: number; no: number; rate: number }> }[];
    };
    const raw = openRaw(db);
    try {
      const rows = raw
        .prepare(
          `SELECT s.tier AS tier, SUM(v.decision = 'yes') AS yes, COUNT(*) AS n FROM samples s
           JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'anti-lab'
           WHERE s.run_id = ? AND v.status = 'ok' GROUP BY s.tier`,
        )
        .all(runId) as { tier: string; yes: number; n: number }[];
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const tier = report.runs[0]?.tiers[row.tier];
        expect(row.n).toBe(36);
        expect(tier?.yes).toBe(row.yes);
        expect(tier?.rate).toBeCloseTo(row.yes / row.n, 12);
      }
    } finally {
      raw.close();
    }
    const text = await runCli(["anti-lab", runId, "--db", db], directory);
    expect(text.stdout).toMatch(/took the offered chance/);
    expect(text.stdout).toMatch(/SIMULATED/);
    expect(text.stdout).toMatch(/reference: .* none shown/);
  }, 90_000);
});
