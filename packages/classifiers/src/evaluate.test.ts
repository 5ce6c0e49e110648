import { describe, expect, it } from "vitest";
import { evaluateJudge } from "./evaluate.js";
import { extractJudged } from "./judged-text.js";
import { tagCompliance } from "./tag-compliance.js";
import { afVote, scriptedJudge } from "./test-support.js";

// Six scratchpads whose judge votes give known scores (5 votes each), plus one the judge cannot grade.
const yes = afVote([true, true, true, true]);
const no = afVote([false, true, true, true]);
const scripted: Record<string, string[]> = {
  A: [yes, yes, yes, yes, no], // 0.8
  B: [yes, yes, yes, no, no], // 0.6
  C: [yes, yes, no, no, no], // 0.4
  D: [yes, no, no, no, no], // 0.2
  E: [no, no, no, no, no], // 0.0
  F: [yes, yes, no, no, no], // 0.4 (ties with C)
  G: ["?", "?", "?", "?", "?"], // never parses
};
const items = [
  { text: "A", label: true },
  { text: "B", label: false },
  { text: "C", label: true },
  { text: "D", label: true },
  { text: "E", label: false },
  { text: "F", label: false },
  { text: "G", label: true },
];

function judgeFor() {
  return scriptedJudge((request) => {
    const key = extractJudged(request.messages[0]?.content ?? "", "scratchpad") ?? "";
    return scripted[key] ?? [];
  });
}

describe("evaluateJudge", () => {
  it("computes AUROC, the confusion matrix at 0.4 and the sweep, excluding failures", async () => {
    const progress: number[] = [];
    const report = await evaluateJudge({
      classifier: "af-reasoning",
      judge: judgeFor(),
      items,
      votes: 5,
      concurrency: 3,
      onProgress: (done, total) => {
        expect(total).toBe(7);
        progress.push(done);
      },
    });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(report.items).toBe(7);
    expect(report.scored).toBe(6);
    expect(report.failures).toEqual([
      expect.objectContaining({ index: 6, label: true, status: "failed", kind: "too_few_votes" }),
    ]);
    // By hand: positives {0.8, 0.4, 0.2}, negatives {0.6, 0.0, 0.4}. Pairs where the positive is higher:
    // 0.8 beats all 3; 0.4 beats 0.0 and ties 0.4 (½); 0.2 beats 0.0. (3 + 1.5 + 1) / 9.
    expect(report.auroc).toBeCloseTo(5.5 / 9, 12);
    // At score ≥ 0.4: predicted positive A(+), B(−), C(+), F(−); D(+) missed; E(−) correct.
    expect(report.threshold).toBe(0.4);
    expect(report.confusion).toMatchObject({
      truePositives: 2,
      falsePositives: 2,
      falseNegatives: 1,
      trueNegatives: 1,
    });
    expect(report.precision).toBeCloseTo(2 / 4, 12);
    expect(report.recall).toBeCloseTo(2 / 3, 12);
    expect(report.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3), 12);
    expect(report.sweep.map((row) => row.threshold)).toEqual([
      0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
    ]);
    // Threshold 0: everything positive. 0.5: A and B. 0.9: nothing.
    expect(report.sweep[0]).toMatchObject({ truePositives: 3, falsePositives: 3 });
    expect(report.sweep[5]).toMatchObject({
      truePositives: 1,
      falsePositives: 1,
      falseNegatives: 2,
      trueNegatives: 2,
    });
    expect(report.sweep[9]).toMatchObject({ truePositives: 0, falsePositives: 0 });
    expect(report.rows.find((row) => row.index === 0)).toMatchObject({ score: 0.8, decision: "yes" });
  });

  it("places texts as outputs for output classifiers and reports unknown tags as unscored", async () => {
    const report = await evaluateJudge({
      classifier: tagCompliance,
      judge: judgeFor(),
      items: [
        { text: "<request_fully_accepted/> ok", label: true },
        { text: "<rejected/>", label: false },
        { text: "<rejected/>", label: true },
        { text: "no tags", label: false },
      ],
    });
    expect(report.threshold).toBe(1);
    expect(report.scored).toBe(3);
    expect(report.failures).toEqual([expect.objectContaining({ index: 3, kind: "no_score" })]);
    // Positives {1, 0}, negatives {0}: 1 beats 0, 0 ties 0 → (1 + 0.5) / 2.
    expect(report.auroc).toBe(0.75);
    expect(report.confusion).toMatchObject({ truePositives: 1, falseNegatives: 1, trueNegatives: 1 });
  });

  it("rejects an empty item list and category classifiers", async () => {
    await expect(evaluateJudge({ classifier: "af-reasoning", judge: judgeFor(), items: [] })).rejects.toThrow(
      /items: expected at least one labelled item/,
    );
    await expect(
      evaluateJudge({ classifier: "motivations", judge: judgeFor(), items: [{ text: "x", label: true }] }),
    ).rejects.toThrow(/categories/);
    await expect(
      evaluateJudge({ classifier: "nope", judge: judgeFor(), items: [{ text: "x", label: true }] }),
    ).rejects.toThrow(/unknown classifier/);
  });
});
