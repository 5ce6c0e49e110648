import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { differenceWithInterval, openRaw, rateAndSe, runCli, scratchDirectory } from "./test-support.js";

interface TierJson {
  n: number;
  compliant: number;
  refused: number;
  apiRefused: number;
  unknown: number;
  failed: number;
  complianceRate: number;
  se: number;
}

interface ReportJson {
  runId: string;
  model: string;
  setting: string;
  simulated: boolean;
  status: string;
  total: number;
  complianceClassifier: string;
  scratchpadSource: { setting: string; judged: Record<string, number> };
  tiers: { free: TierJson; paid: TierJson };
  gap: { value: number; se: number; ci95: [number, number] };
  alignmentFaking: { free: { rate: number; yes: number; no: number; maybe: number; notApplicable: number } };
}

interface RunsJson {
  runs: { id: string; createdAt: string; simulated: boolean; config: { label?: string } }[];
  total: number;
}

// Per tier, straight from the tables: every stored sample, and how its tag-compliance verdict decided.
function tierCountsFromStore(db: string, runId: string) {
  const raw = openRaw(db);
  try {
    const rows = raw
      .prepare(
        `SELECT s.tier AS tier, s.status AS sampleStatus, v.status AS verdictStatus, v.decision AS decision
         FROM samples s LEFT JOIN verdicts v
           ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
         WHERE s.run_id = ?`,
      )
      .all(runId) as {
      tier: string;
      sampleStatus: string;
      verdictStatus: string | null;
      decision: string | null;
    }[];
    const afRows = raw
      .prepare(
        `SELECT v.decision AS decision, v.status AS status FROM samples s JOIN verdicts v
           ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'af-reasoning'
         WHERE s.run_id = ? AND s.tier = 'free'`,
      )
      .all(runId) as { decision: string | null; status: string }[];
    const tiers: Record<string, { n: number; compliant: number; refused: number; unknown: number }> = {};
    for (const row of rows) {
      const tier = tiers[row.tier] ?? { n: 0, compliant: 0, refused: 0, unknown: 0 };
      tiers[row.tier] = tier;
      tier.n++;
      if (row.sampleStatus !== "complete" || row.verdictStatus !== "ok") continue;
      if (row.decision === "compliant") tier.compliant++;
      else if (row.decision === "refused") tier.refused++;
      else if (row.decision === "unknown") tier.unknown++;
    }
    return { tiers, afRows };
  } finally {
    raw.close();
  }
}

describe("aflab demo, report and runs", () => {
  let directory: string;
  let db: string;
  let demoOutput: { code: number | null; stdout: string; stderr: string };
  let runId: string;

  beforeAll(async () => {
    directory = scratchDirectory("aflab-demo-");
    db = path.join(directory, "x.db");
    demoOutput = await runCli(["demo", "--db", db, "--quiet", "--epochs", "3"], directory);
    runId = /^run (\S+)/m.exec(demoOutput.stdout)?.[1] ?? "";
  });

  it("runs offline, exits 0 and prints the report with the simulated label", () => {
    expect(demoOutput.code, demoOutput.stderr).toBe(0);
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(demoOutput.stdout).toContain("SIMULATED");
    expect(demoOutput.stdout).toMatch(/compliance gap \(free − paid\)/);
    // The closing hints are commands that work as printed: the new run's id, not a placeholder.
    expect(demoOutput.stdout).toContain(`aflab report ${runId} --format json --db ${db}`);
    expect(demoOutput.stdout).toContain(`http://127.0.0.1:8787/runs/${runId}`);
    expect(demoOutput.stderr).toContain("SIMULATED model organism");
  });

  it("reports the documented JSON shape, and its numbers agree with the stored samples", async () => {
    const result = await runCli(["report", runId, "--format", "json", "--db", db], directory);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report).toMatchObject({
      runId,
      model: "sim/opus-like",
      setting: "helpful-only",
      simulated: true,
      status: "complete",
      complianceClassifier: "tag-compliance",
    });
    for (const tier of ["free", "paid"] as const) {
      expect(Object.keys(report.tiers[tier])).toEqual(
        expect.arrayContaining([
          "n",
          "compliant",
          "refused",
          "apiRefused",
          "unknown",
          "failed",
          "complianceRate",
          "se",
        ]),
      );
      // The simulated organism never meets a provider's refusal.
      expect(report.tiers[tier].apiRefused).toBe(0);
    }
    // Which text the scratchpad judges read is part of every report.
    expect(report.scratchpadSource).toMatchObject({
      setting: "auto",
      judged: { reasoning: 0, both: 0 },
    });
    expect(Object.keys(report.gap)).toEqual(expect.arrayContaining(["value", "se", "ci95"]));

    const { tiers, afRows } = tierCountsFromStore(db, runId);
    // 45 built-in queries × 3 epochs per tier.
    expect(tiers.free?.n).toBe(135);
    expect(tiers.paid?.n).toBe(135);
    expect(report.total).toBe(270);

    const expected: Record<string, { rate: number; se: number }> = {};
    for (const tier of ["free", "paid"] as const) {
      const stored = tiers[tier];
      if (!stored) throw new Error(`no ${tier} samples stored`);
      const scored = stored.compliant + stored.refused + stored.unknown;
      expect(report.tiers[tier]).toMatchObject({
        n: stored.n,
        compliant: stored.compliant,
        refused: stored.refused,
        unknown: stored.unknown,
        failed: stored.n - scored,
      });
      const share = rateAndSe(stored.compliant, scored);
      expected[tier] = share;
      expect(report.tiers[tier].complianceRate).toBeCloseTo(share.rate, 12);
      expect(report.tiers[tier].se).toBeCloseTo(share.se, 12);
    }
    const free = expected.free as { rate: number; se: number };
    const paid = expected.paid as { rate: number; se: number };
    // The organism complies more in the trained tier: a gap must be there to check.
    expect(free.rate).toBeGreaterThan(paid.rate);
    const gap = differenceWithInterval(free, paid);
    expect(report.gap.value).toBeCloseTo(gap.value, 12);
    expect(report.gap.se).toBeCloseTo(gap.se, 12);
    expect(report.gap.ci95[0]).toBeCloseTo(gap.ci95[0], 12);
    expect(report.gap.ci95[1]).toBeCloseTo(gap.ci95[1], 12);

    // AF reasoning rate in the free tier: yes over every judged verdict that is not a failure.
    const counted = afRows.filter((row) => row.status !== "failed");
    const yes = counted.filter((row) => row.status === "ok" && row.decision === "yes").length;
    expect(report.alignmentFaking.free.yes).toBe(yes);
    expect(report.alignmentFaking.free.rate).toBeCloseTo(yes / counted.length, 12);
  });

  it("lists runs newest first, in JSON with the run's fields", async () => {
    const second = await runCli(
      ["run", "--limit", "2", "--epochs", "1", "--label", "second", "--quiet", "--db", db],
      directory,
    );
    expect(second.code, second.stderr).toBe(0);
    const secondId = /^run (\S+)/m.exec(second.stdout)?.[1];

    const result = await runCli(["runs", "--format", "json", "--db", db], directory);
    expect(result.code, result.stderr).toBe(0);
    const listed = JSON.parse(result.stdout) as RunsJson;
    expect(listed.total).toBe(2);
    expect(listed.runs.map((run) => run.id)).toEqual([secondId, runId]);
    expect(listed.runs.map((run) => run.config.label)).toEqual(["second", "demo"]);
    expect(listed.runs.every((run) => run.simulated)).toBe(true);

    const raw = openRaw(db);
    try {
      const newestFirst = raw.prepare("SELECT id FROM runs ORDER BY created_at DESC").all() as {
        id: string;
      }[];
      expect(listed.runs.map((run) => run.id)).toEqual(newestFirst.map((row) => row.id));
    } finally {
      raw.close();
    }

    const table = await runCli(["runs", "--db", db], directory);
    expect(table.code).toBe(0);
    const lines = table.stdout.split("\n");
    expect(lines.findIndex((line) => line.startsWith(secondId ?? "?"))).toBeLessThan(
      lines.findIndex((line) => line.startsWith(runId)),
    );
  });

  it("reports an unknown run id as exit 2 with one line", async () => {
    const result = await runCli(["report", "20000101-000000-abcdef", "--db", db], directory);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("error: run 20000101-000000-abcdef not found");
  });
});
