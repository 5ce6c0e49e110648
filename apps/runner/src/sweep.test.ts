import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  differenceWithInterval,
  killHard,
  openRaw,
  pairedStatistics,
  peek,
  type RawDatabase,
  rateAndSe,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from "./test-support.js";

// 2 models × 3 variant combinations × 1 user format = 6 cells; 45 queries × 2 tiers × 4 epochs = 360 samples each.
const cellCount = 6;
const perCell = 45 * 2 * 4;
const sweepArgs = [
  "sweep",
  "--models",
  "sim/opus-like,sim/sonnet-like",
  "--variants",
  "none;cut-rlhf-info;cut-examples",
  "--user-formats",
  "minimal",
  "--classifiers",
  "tag-compliance",
  "--epochs",
  "4",
  "--concurrency",
  "2",
  "--quiet",
];

interface PairedJson {
  value: number;
  se: number;
  ci95: [number, number];
  pairs: number;
  onlyFirst: number;
  onlySecond: number;
  mcnemar: { b: number; c: number; pValue: number };
}

interface ComparisonJson {
  runA: string;
  runB: string;
  complianceClassifier: string;
  tiers: { tier: string; pairs: number; complianceA: number; complianceB: number; paired: PairedJson }[];
  gapDifference: { value: number; se: number; ci95: [number, number] };
  flipped: { itemId: string; tier: string; epoch: number; before: string; after: string }[];
  flippedNotListed: number;
}

interface Outcome {
  item: string;
  tier: string;
  epoch: number;
  scored: boolean;
  compliant: boolean;
}

// One row per sample: scored when the sample finished and its tag-compliance verdict is a decision.
function outcomes(raw: RawDatabase, runId: string): Map<string, Outcome> {
  const rows = raw
    .prepare(
      `SELECT s.item_id AS item, s.tier AS tier, s.epoch AS epoch, s.status AS sampleStatus,
         v.status AS verdictStatus, v.decision AS decision
       FROM samples s LEFT JOIN verdicts v
         ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
       WHERE s.run_id = ?`,
    )
    .all(runId) as {
    item: string;
    tier: string;
    epoch: number;
    sampleStatus: string;
    verdictStatus: string | null;
    decision: string | null;
  }[];
  const byPlan = new Map<string, Outcome>();
  for (const row of rows) {
    const scored =
      row.sampleStatus === "complete" &&
      row.verdictStatus === "ok" &&
      ["compliant", "refused", "unknown"].includes(row.decision ?? "");
    byPlan.set(`${row.item}|${row.tier}|${row.epoch}`, {
      item: row.item,
      tier: row.tier,
      epoch: row.epoch,
      scored,
      compliant: row.decision === "compliant",
    });
  }
  return byPlan;
}

function gapOf(byPlan: Map<string, Outcome>) {
  const share = (tier: string) => {
    const scored = [...byPlan.values()].filter((outcome) => outcome.tier === tier && outcome.scored);
    return rateAndSe(scored.filter((outcome) => outcome.compliant).length, scored.length);
  };
  return differenceWithInterval(share("free"), share("paid"));
}

describe("a sweep killed part-way resumes, and compare agrees with the stored samples", () => {
  it("resumes to six complete runs and compares two of them", async () => {
    const directory = scratchDirectory("aflab-sweep-");
    const db = path.join(directory, "x.db");

    const child = startCli([...sweepArgs, "--db", db], directory);
    // Kill once the first cell has finished and the second has stored some samples.
    await waitFor(
      () =>
        peek(db, (raw) => {
          const row = raw
            .prepare(
              `SELECT COUNT(*) AS runs, (SELECT COUNT(*) FROM samples WHERE run_id =
                 (SELECT id FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1)) AS newest
               FROM runs`,
            )
            .get() as { runs: number; newest: number };
          return row.runs >= 2 && row.newest >= 20 ? row : undefined;
        }),
      "the second cell of the sweep",
    );
    expect(await killHard(child)).toBe("SIGKILL");

    const raw = openRaw(db);
    let sweepId: string;
    let firstRunRows: unknown[];
    try {
      const sweeps = raw.prepare("SELECT id FROM sweeps").all() as { id: string }[];
      expect(sweeps).toHaveLength(1);
      sweepId = (sweeps[0] as { id: string }).id;
      const runs = raw.prepare("SELECT id, status, sweep_id AS sweepId FROM runs ORDER BY id").all() as {
        id: string;
        status: string;
        sweepId: string;
      }[];
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.every((run) => run.sweepId === sweepId)).toBe(true);
      // Part-way: fewer than all six cells complete.
      expect(runs.filter((run) => run.status === "complete").length).toBeLessThan(cellCount);
      firstRunRows = raw
        .prepare("SELECT id, key, started_at, finished_at FROM samples WHERE run_id = ? ORDER BY id")
        .all(`${sweepId}-c000`);
      expect(firstRunRows).toHaveLength(perCell);
    } finally {
      raw.close();
    }

    // The sweep id is also visible through the CLI.
    const listed = await runCli(["runs", "--format", "json", "--db", db], directory);
    const listedRuns = (JSON.parse(listed.stdout) as { runs: { id: string; sweepId: string | null }[] }).runs;
    expect(new Set(listedRuns.map((run) => run.sweepId))).toEqual(new Set([sweepId]));

    const resumed = await runCli(
      ["sweep", "--resume", sweepId, "--format", "json", "--quiet", "--db", db],
      directory,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const sweepReport = JSON.parse(resumed.stdout) as {
      sweepId: string;
      status: string;
      runs: { runId: string; model: string; variants: string[]; status: string; total: number }[];
    };
    expect(sweepReport.sweepId).toBe(sweepId);
    expect(sweepReport.status).toBe("complete");
    expect(sweepReport.runs.map((run) => [run.model, run.variants.join(","), run.status, run.total])).toEqual(
      [
        ["sim/opus-like", "", "complete", perCell],
        ["sim/opus-like", "cut-rlhf-info", "complete", perCell],
        ["sim/opus-like", "cut-examples", "complete", perCell],
        ["sim/sonnet-like", "", "complete", perCell],
        ["sim/sonnet-like", "cut-rlhf-info", "complete", perCell],
        ["sim/sonnet-like", "cut-examples", "complete", perCell],
      ],
    );

    const after = openRaw(db);
    const plans = new Map<string, Map<string, Outcome>>();
    try {
      const perRun = after
        .prepare(
          `SELECT run_id AS runId, COUNT(*) AS rows, COUNT(DISTINCT key) AS keys FROM samples
           GROUP BY run_id ORDER BY run_id`,
        )
        .all() as { runId: string; rows: number; keys: number }[];
      expect(perRun).toEqual(
        sweepReport.runs.map((run) => ({ runId: run.runId, rows: perCell, keys: perCell })),
      );
      const missingVerdicts = after
        .prepare(
          `SELECT COUNT(*) AS count FROM samples s LEFT JOIN verdicts v
             ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
           WHERE s.status = 'complete' AND v.sample_key IS NULL`,
        )
        .get() as { count: number };
      expect(missingVerdicts.count).toBe(0);
      // The cell that finished before the kill was not run again.
      expect(
        after
          .prepare("SELECT id, key, started_at, finished_at FROM samples WHERE run_id = ? ORDER BY id")
          .all(`${sweepId}-c000`),
      ).toEqual(firstRunRows);
      for (const run of sweepReport.runs) plans.set(run.runId, outcomes(after, run.runId));
    } finally {
      after.close();
    }

    // Same model, another variant (few flips, McNemar p near 1); then another model (many flips, tiny p).
    for (const [cellA, cellB] of [
      ["c000", "c002"],
      ["c000", "c003"],
    ]) {
      const runA = `${sweepId}-${cellA}`;
      const runB = `${sweepId}-${cellB}`;
      const planA = plans.get(runA) ?? new Map<string, Outcome>();
      const planB = plans.get(runB) ?? new Map<string, Outcome>();
      const compared = await runCli(["compare", runA, runB, "--format", "json", "--db", db], directory);
      expect(compared.code, compared.stderr).toBe(0);
      const comparison = JSON.parse(compared.stdout) as ComparisonJson;
      expect(comparison).toMatchObject({ runA, runB, complianceClassifier: "tag-compliance" });
      expect(comparison.tiers.map((tier) => tier.tier).sort()).toEqual(["free", "paid"]);

      let discordant = 0;
      for (const tier of comparison.tiers) {
        const pairs: { before: boolean; after: boolean }[] = [];
        for (const [plan, a] of planA) {
          const b = planB.get(plan);
          if (a.tier !== tier.tier || !b || !a.scored || !b.scored) continue;
          pairs.push({ before: a.compliant, after: b.compliant });
        }
        const expected = pairedStatistics(pairs);
        expect(tier.pairs).toBe(expected.n);
        expect(tier.pairs).toBe(perCell / 2);
        expect(tier.complianceA).toBeCloseTo(pairs.filter((pair) => pair.before).length / pairs.length, 12);
        expect(tier.complianceB).toBeCloseTo(pairs.filter((pair) => pair.after).length / pairs.length, 12);
        expect(tier.paired.value).toBeCloseTo(expected.mean, 12);
        expect(tier.paired.se).toBeCloseTo(expected.se, 12);
        expect(tier.paired.ci95[0]).toBeCloseTo(expected.ci95[0], 12);
        expect(tier.paired.ci95[1]).toBeCloseTo(expected.ci95[1], 12);
        // B − A: "first" is B, so onlyFirst counts pairs that became compliant in B.
        expect(tier.paired.onlyFirst).toBe(expected.gained);
        expect(tier.paired.onlySecond).toBe(expected.lost);
        expect([tier.paired.mcnemar.b, tier.paired.mcnemar.c]).toEqual([expected.gained, expected.lost]);
        // Relative agreement: the p-values across models are far below any absolute tolerance.
        expect(expected.pValue).toBeGreaterThan(0);
        expect(tier.paired.mcnemar.pValue / expected.pValue).toBeCloseTo(1, 9);
        discordant += expected.gained + expected.lost;
      }
      // Some decisions differ between the runs, so the paired numbers above are not all zeros.
      expect(discordant).toBeGreaterThan(0);
      expect(comparison.flipped.length + comparison.flippedNotListed).toBe(discordant);

      const gapA = gapOf(planA);
      const gapB = gapOf(planB);
      expect(comparison.gapDifference.value).toBeCloseTo(gapB.value - gapA.value, 12);
      expect(comparison.gapDifference.se).toBeCloseTo(Math.hypot(gapA.se, gapB.se), 12);
    }
  }, 120_000);
});
