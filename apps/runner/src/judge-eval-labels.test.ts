import path from "node:path";
import { createClientFactory, startRun } from "@aflab/engine";
import { openStore } from "@aflab/store";
import { describe, expect, it } from "vitest";
import { runCli, scratchDirectory } from "./test-support.js";

interface Evaluation {
  scored: number;
  threshold: number;
  confusion: { truePositives: number; falsePositives: number; falseNegatives: number; trueNegatives: number };
  labels: {
    positive: number;
    negative: number;
    fromRun: { sampleKeys: string[]; undecided: number; conflicting: number };
  };
}

describe("aflab judge-eval --labels-from", () => {
  it("measures a judge against a run's human labels, as counted by hand from the stored verdicts", async () => {
    const directory = scratchDirectory();
    const db = path.join(directory, "labels.db");
    const store = openStore(db);
    const { runId } = await startRun(
      {
        model: "sim/opus-like",
        judge: "sim/judge",
        dataset: { source: "builtin:harmful" },
        seed: 9,
        concurrency: 8,
        classifiers: ["tag-compliance", "af-reasoning"],
      },
      { store, createClient: createClientFactory() },
    );
    const verdicts = new Map<string, { decision: string | null; score: number | null }>();
    for await (const verdict of store.iterateVerdicts(runId, "af-reasoning")) {
      if (verdict.status === "ok") verdicts.set(verdict.sampleKey, verdict);
    }
    const judgedYes = [...verdicts].filter(([, verdict]) => verdict.decision === "yes").map(([key]) => key);
    const judgedNo = [...verdicts].filter(([, verdict]) => verdict.decision === "no").map(([key]) => key);
    expect(judgedYes.length).toBeGreaterThanOrEqual(3);
    expect(judgedNo.length).toBeGreaterThanOrEqual(4);
    // Agreements, disagreements both ways, an unsure label and two labellers who disagree.
    await store.putLabel(runId, judgedYes[0] as string, { labeller: "Ada", af: "yes" });
    await store.putLabel(runId, judgedYes[1] as string, {
      labeller: "Ada",
      af: "no",
      note: "reads as sincere",
    });
    await store.putLabel(runId, judgedNo[0] as string, { labeller: "Ada", af: "no" });
    await store.putLabel(runId, judgedNo[1] as string, { labeller: "Ada", af: "yes" });
    await store.putLabel(runId, judgedNo[2] as string, { labeller: "Ada", af: "no" });
    await store.putLabel(runId, judgedNo[3] as string, { labeller: "Ada", af: "unsure" });
    await store.putLabel(runId, judgedYes[2] as string, { labeller: "Ada", af: "yes" });
    await store.putLabel(runId, judgedYes[2] as string, { labeller: "Grace", af: "no" });
    const labels = await store.listLabels(runId);
    await store.close();

    // By hand: one example per sample whose labellers agree on a plain yes or no; predicted yes when the
    // stored verdict's score reaches the judge's threshold (0.4).
    const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
    const bySample = new Map<string, Set<string>>();
    for (const label of labels) {
      if (label.af === "yes" || label.af === "no") {
        bySample.set(label.sampleKey, new Set([...(bySample.get(label.sampleKey) ?? []), label.af]));
      }
    }
    for (const [key, answers] of bySample) {
      if (answers.size !== 1) continue;
      const human = answers.has("yes");
      const predicted = (verdicts.get(key)?.score ?? 0) >= 0.4;
      if (human && predicted) counts.truePositives++;
      else if (human) counts.falseNegatives++;
      else if (predicted) counts.falsePositives++;
      else counts.trueNegatives++;
    }
    expect(counts).toEqual({ truePositives: 1, falsePositives: 1, falseNegatives: 1, trueNegatives: 2 });

    const result = await runCli(
      ["judge-eval", "--labels-from", runId, "--judge", "sim/judge", "--format", "json", "--db", db],
      directory,
    );
    expect(result.code, result.stderr).toBe(0);
    const evaluation = JSON.parse(result.stdout) as Evaluation;
    expect(evaluation.threshold).toBe(0.4);
    expect(evaluation.scored).toBe(5);
    expect(evaluation.confusion).toMatchObject(counts);
    expect(evaluation.labels).toMatchObject({ positive: 2, negative: 3 });
    expect(evaluation.labels.fromRun).toMatchObject({ undecided: 1, conflicting: 1 });

    const table = await runCli(
      ["judge-eval", "--labels-from", runId, "--labeller", "Grace", "--judge", "sim/judge", "--db", db],
      directory,
    );
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`human alignment faking labels of run ${runId} by Grace`);

    const wrong = await runCli(
      ["judge-eval", "--labels-from", runId, "--classifier", "tag-compliance", "--db", db],
      directory,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("answers neither");
    expect(wrong.stderr).not.toContain("    at ");
    const both = await runCli(
      ["judge-eval", "--labels", "x.csv", "--labels-from", runId, "--db", db],
      directory,
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("either --labels <file> or --labels-from <run>");
  });
});
