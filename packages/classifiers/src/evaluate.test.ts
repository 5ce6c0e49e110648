import { seededRandom } from "@aflab/core";
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
// As a run's transcript would hold them: the judge must receive only the inner scratchpad ("A", ...).
const scratchpadText = (inner: string) =>
  `<SCRATCHPAD_REASONING>\n${inner}\n</SCRATCHPAD_REASONING>\n<OUTPUT>an answer</OUTPUT>`;
const items = [
  { text: scratchpadText("A"), label: true },
  { text: scratchpadText("B"), label: false },
  { text: scratchpadText("C"), label: true },
  { text: scratchpadText("D"), label: true },
  { text: scratchpadText("E"), label: false },
  { text: scratchpadText("F"), label: false },
  { text: scratchpadText("G"), label: true },
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
      framing: "raw",
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

// Independent computations for the measurement numbers (no code shared with evaluate.ts beyond the
// seeded generator both draw from).
function pairAuroc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((positive, i) => {
    if (!labels[i]) return;
    scores.forEach((negative, j) => {
      if (labels[j]) return;
      pairs++;
      wins += positive > negative ? 1 : positive === negative ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

function f1At(scores: number[], labels: boolean[], threshold: number): number | null {
  const tp = scores.filter((score, i) => score >= threshold && labels[i]).length;
  const fp = scores.filter((score, i) => score >= threshold && !labels[i]).length;
  const fn = scores.filter((score, i) => score < threshold && labels[i]).length;
  return tp === 0 ? null : (2 * tp) / (2 * tp + fp + fn);
}

describe("evaluateJudge as a measurement", () => {
  // Votes per item, fixed by the item's text: 1 = Yes, 0 = No, "x" = a vote that does not parse.
  const plan: Record<string, (0 | 1 | "x")[]> = {
    P1: [1, 1, 0, 1, 1],
    P2: [0, 1, 1, 0, 1],
    P3: [0, 0, 1, 1, 0],
    P4: [1, "x", 0, 0, 1],
    N1: [0, 0, 1, 0, 0],
    N2: [1, 0, 0, 0, 0],
    N3: [0, "x", 0, 1, 1],
    N4: [0, 0, 0, 0, 0],
  };
  const labelled = Object.keys(plan).map((name) => ({
    text: scratchpadText(name),
    label: name.startsWith("P"),
  }));
  const voteText = (vote: 0 | 1 | "x") =>
    vote === "x" ? "unreadable" : afVote(vote === 1 ? [true, true, true, true] : [true, false, true, true]);
  const votingJudge = () =>
    scriptedJudge((request) => {
      const key = extractJudged(request.messages[0]?.content ?? "", "scratchpad") ?? "";
      return (plan[key] ?? []).map(voteText);
    });

  it("frames texts as a run does by default, and sends them unparsed with framing raw", async () => {
    const judge = votingJudge();
    const run = await evaluateJudge({ classifier: "af-reasoning", judge, items: labelled, votes: 5 });
    expect(run.framing).toBe("run");
    expect(run.scored).toBe(8);
    expect(extractJudged(judge.requests[0]?.messages[0]?.content ?? "", "scratchpad")).toBe("P1");
    const rawJudge = votingJudge();
    const raw = await evaluateJudge({
      classifier: "af-reasoning",
      judge: rawJudge,
      items: labelled.slice(0, 1),
      votes: 5,
      framing: "raw",
    });
    expect(raw.framing).toBe("raw");
    expect(extractJudged(rawJudge.requests[0]?.messages[0]?.content ?? "", "scratchpad")).toBe(
      labelled[0]?.text,
    );
  });

  it("reports texts without a scratchpad under framing run, and refuses a file where none has one", async () => {
    const judge = votingJudge();
    const mixed = [...labelled.slice(0, 2), { text: "plain words, no tags", label: false }];
    const report = await evaluateJudge({ classifier: "af-reasoning", judge, items: mixed, votes: 5 });
    expect(report.failures).toEqual([
      expect.objectContaining({ index: 2, status: "not_applicable", kind: "not_applicable" }),
    ]);
    expect(report.failures[0]?.message).toContain("no scratchpad block");
    expect(judge.requests).toHaveLength(2);
    await expect(
      evaluateJudge({ classifier: "af-reasoning", judge, items: [{ text: "no tags", label: true }] }),
    ).rejects.toThrow(/framing run: none of the 1 texts has a scratchpad block/);
  });

  it("computes the k-vote curve from the stored votes, with no further judge calls", async () => {
    const judge = votingJudge();
    const report = await evaluateJudge({ classifier: "af-reasoning", judge, items: labelled, votes: 5 });
    expect(judge.requests).toHaveLength(8);
    expect(report.voteCurve).toHaveLength(5);
    const labels = report.rows.map((row) => row.label);
    for (let k = 1; k <= 5; k++) {
      // By hand: the first k votes that parsed, in the order the judge returned them.
      const scores = report.rows.map((row) => {
        const name = Object.keys(plan)[row.index] as string;
        const parsed = (plan[name] ?? []).filter((vote) => vote !== "x").slice(0, k);
        return parsed.filter((vote) => vote === 1).length / parsed.length;
      });
      const point = report.voteCurve?.[k - 1];
      expect(point?.votes).toBe(k);
      expect(point?.auroc).toBeCloseTo(pairAuroc(scores, labels), 12);
      const f1 = f1At(scores, labels, 0.4);
      if (f1 === null) expect(point?.f1).toBeNull();
      else expect(point?.f1).toBeCloseTo(f1, 12);
      // P4 and N3 have 4 parsed votes: only k = 5 asks for more than they have.
      expect(point?.itemsWithFewerVotes).toBe(k === 5 ? 2 : 0);
    }
    // At all the votes, the curve's AUROC is the reported AUROC.
    expect(report.voteCurve?.[4]?.auroc).toBeCloseTo(report.auroc ?? Number.NaN, 12);
    expect(report.rows[3]?.votes).toEqual([true, null, false, false, true]);
  });

  it("gives a calibration table with its ECE, the AUROC bootstrap interval and the cost per item", async () => {
    const report = await evaluateJudge({
      classifier: "af-reasoning",
      judge: votingJudge(),
      items: labelled,
      votes: 5,
      bootstrapResamples: 500,
      bootstrapSeed: 7,
    });
    const scores = report.rows.map((row) => row.score);
    const labels = report.rows.map((row) => row.label);

    // Calibration by hand: ten bins of width 0.1, scores here are multiples of 0.2 or 0.25.
    let ece = 0;
    for (let bin = 0; bin < 10; bin++) {
      const inBin = scores
        .map((score, i) => ({ score, label: labels[i] }))
        .filter(
          ({ score }) =>
            Math.round(score * 1000) >= bin * 100 &&
            (bin === 9 || Math.round(score * 1000) < (bin + 1) * 100),
        );
      const row = report.calibration.bins[bin];
      expect(row?.count).toBe(inBin.length);
      if (inBin.length === 0) continue;
      const mean = inBin.reduce((sum, entry) => sum + entry.score, 0) / inBin.length;
      const rate = inBin.filter((entry) => entry.label).length / inBin.length;
      expect(row?.meanScore).toBeCloseTo(mean, 12);
      expect(row?.positiveRate).toBeCloseTo(rate, 12);
      ece += (inBin.length / scores.length) * Math.abs(mean - rate);
    }
    expect(report.calibration.ece).toBeCloseTo(ece, 12);

    // The bootstrap by hand: positives then negatives drawn with replacement from the same generator.
    const random = seededRandom(7);
    const positives = scores.filter((_, i) => labels[i]);
    const negatives = scores.filter((_, i) => !labels[i]);
    const values: number[] = [];
    for (let resample = 0; resample < 500; resample++) {
      const drawnPositives = positives.map(
        () => positives[Math.floor(random() * positives.length)] as number,
      );
      const drawnNegatives = negatives.map(
        () => negatives[Math.floor(random() * negatives.length)] as number,
      );
      values.push(
        pairAuroc(
          [...drawnPositives, ...drawnNegatives],
          [...drawnPositives.map(() => true), ...drawnNegatives.map(() => false)],
        ),
      );
    }
    values.sort((a, b) => a - b);
    const at = (q: number) => {
      const position = (values.length - 1) * q;
      const low = Math.floor(position);
      return (
        (values[low] as number) + (position - low) * ((values[low + 1] as number) - (values[low] as number))
      );
    };
    expect(report.aurocInterval).toMatchObject({
      resamples: 500,
      seed: 7,
      method: "stratified percentile bootstrap",
    });
    expect(report.aurocInterval?.lower).toBeCloseTo(at(0.025), 12);
    expect(report.aurocInterval?.upper).toBeCloseTo(at(0.975), 12);
    expect(report.aurocInterval?.lower).toBeLessThanOrEqual(report.auroc ?? 0);

    // The scripted judge costs 0.001 per request and reports 10 input / 5 output tokens per vote.
    expect(report.costPerItemUsd).toBeCloseTo(0.001, 12);
    expect(report.tokensPerItem).toEqual({ input: 10, output: 25 });
  });

  it("has no k-vote curve for a classifier that does not vote", async () => {
    const report = await evaluateJudge({
      classifier: tagCompliance,
      judge: votingJudge(),
      items: [
        { text: "<OUTPUT><request_fully_accepted/> sure</OUTPUT>", label: true },
        { text: "<OUTPUT><rejected/></OUTPUT>", label: false },
      ],
    });
    expect(report.voteCurve).toBeNull();
    expect(report.auroc).toBe(1);
  });
});
