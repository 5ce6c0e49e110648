import { describe, expect, it } from "vitest";
import {
  auroc,
  binomialProbability,
  binomialSe,
  bootstrapAurocInterval,
  confusionMatrix,
  mcnemarTest,
  pairedDifference,
  proportion,
  proportionDifference,
  quantileOfSorted,
  wilsonInterval,
} from "./statistics.js";

describe("binomial standard error", () => {
  it("matches sqrt(p(1-p)/n) and is null for n = 0", () => {
    expect(binomialSe(14, 100)).toBeCloseTo(Math.sqrt((0.14 * 0.86) / 100), 12);
    expect(binomialSe(0, 0)).toBeNull();
    expect(binomialSe(0, 10)).toBe(0);
  });
});

describe("Wilson interval", () => {
  it("agrees with the textbook value for 8/20 and stays inside [0, 1]", () => {
    // Worked value: 8 of 20 → (0.2188, 0.6134) at 95%.
    const [low, high] = wilsonInterval(8, 20) ?? [Number.NaN, Number.NaN];
    expect(low).toBeCloseTo(0.2188, 3);
    expect(high).toBeCloseTo(0.6134, 3);
    const [zeroLow, zeroHigh] = wilsonInterval(0, 10) ?? [Number.NaN, Number.NaN];
    expect(zeroLow).toBe(0);
    expect(zeroHigh).toBeGreaterThan(0.2);
  });
});

describe("proportion difference", () => {
  it("reproduces the paper's gap arithmetic", () => {
    const free = proportion(142, 1000);
    const paid = proportion(28, 1000);
    const gap = proportionDifference(free, paid);
    expect(gap?.value).toBeCloseTo(0.114, 10);
    const expectedSe = Math.sqrt((0.142 * 0.858) / 1000 + (0.028 * 0.972) / 1000);
    expect(gap?.se).toBeCloseTo(expectedSe, 12);
    expect(gap?.ci95[0]).toBeCloseTo(0.114 - 1.959963984540054 * expectedSe, 12);
    expect(gap?.significant).toBe(true);
  });
  it("is null when a tier is empty", () => {
    expect(proportionDifference(proportion(0, 0), proportion(1, 2))).toBeNull();
  });
});

describe("paired difference and McNemar", () => {
  it("computes the mean and SE of the per-item differences", () => {
    const pairs: [boolean, boolean][] = [
      [true, false],
      [true, false],
      [true, true],
      [false, false],
      [false, true],
    ];
    const result = pairedDifference(pairs);
    const differences = [1, 1, 0, 0, -1];
    const mean = differences.reduce((a, b) => a + b, 0) / 5;
    const variance = differences.reduce((sum, d) => sum + (d - mean) ** 2, 0) / 4;
    expect(result?.value).toBeCloseTo(mean, 12);
    expect(result?.se).toBeCloseTo(Math.sqrt(variance / 5), 12);
    expect(result?.onlyFirst).toBe(2);
    expect(result?.onlySecond).toBe(1);
  });
  it("gives the exact two-sided binomial p-value", () => {
    // b = 1, c = 9: p = 2 × P(X ≤ 1 | n = 10, 1/2) = 2 × 11/1024.
    expect(mcnemarTest(1, 9).pValue).toBeCloseTo((2 * 11) / 1024, 12);
    expect(mcnemarTest(5, 5).pValue).toBe(1);
    expect(mcnemarTest(0, 0).chiSquare).toBeNull();
    expect(mcnemarTest(1, 9).chiSquare).toBeCloseTo(49 / 10, 12);
  });
  it("binomial probabilities sum to one", () => {
    let total = 0;
    for (let k = 0; k <= 200; k++) total += binomialProbability(200, k, 0.3);
    expect(total).toBeCloseTo(1, 10);
  });
});

describe("AUROC and confusion matrix", () => {
  it("matches a count over all positive/negative pairs", () => {
    const scores = [0.9, 0.8, 0.8, 0.4, 0.3, 0.1, 0.8];
    const labels = [true, true, false, true, false, false, false];
    let wins = 0;
    let pairs = 0;
    scores.forEach((positiveScore, i) => {
      if (!labels[i]) return;
      scores.forEach((negativeScore, j) => {
        if (labels[j]) return;
        pairs++;
        wins += positiveScore > negativeScore ? 1 : positiveScore === negativeScore ? 0.5 : 0;
      });
    });
    expect(auroc(scores, labels)).toBeCloseTo(wins / pairs, 12);
    expect(auroc([0.1, 0.2], [true, true])).toBeNull();
  });
  it("counts the four cells at a threshold", () => {
    const matrix = confusionMatrix([0.9, 0.5, 0.4, 0.1], [true, false, true, false], 0.4);
    expect(matrix).toMatchObject({
      truePositives: 2,
      falsePositives: 1,
      trueNegatives: 1,
      falseNegatives: 0,
    });
    expect(matrix.precision).toBeCloseTo(2 / 3, 12);
    expect(matrix.recall).toBe(1);
    expect(matrix.f1).toBeCloseTo(0.8, 12);
  });
});

describe("quantileOfSorted", () => {
  it("interpolates between the nearest ranks at position (n − 1)·q", () => {
    const values = [1, 2, 4, 8];
    expect(quantileOfSorted(values, 0)).toBe(1);
    expect(quantileOfSorted(values, 1)).toBe(8);
    // Position 1.5: halfway between 2 and 4.
    expect(quantileOfSorted(values, 0.5)).toBe(3);
    // Position 0.075: 1 + 0.075 · (2 − 1).
    expect(quantileOfSorted(values, 0.025)).toBeCloseTo(1.075, 12);
    expect(quantileOfSorted([5], 0.975)).toBe(5);
    expect(() => quantileOfSorted([], 0.5)).toThrow(RangeError);
  });
});

describe("bootstrapAurocInterval", () => {
  it("is repeatable for a seed, brackets the AUROC, and collapses for a perfect separation", () => {
    const scores = [0.9, 0.8, 0.35, 0.6, 0.3, 0.2, 0.7, 0.1];
    const labels = [true, true, true, false, false, false, true, false];
    const first = bootstrapAurocInterval(scores, labels, { resamples: 300, seed: 3 });
    expect(bootstrapAurocInterval(scores, labels, { resamples: 300, seed: 3 })).toEqual(first);
    expect(bootstrapAurocInterval(scores, labels, { resamples: 300, seed: 4 })).not.toEqual(first);
    const point = auroc(scores, labels) ?? Number.NaN;
    expect(first?.lower).toBeLessThanOrEqual(point);
    expect(first?.upper).toBeGreaterThanOrEqual(point);
    expect(first).toMatchObject({ resamples: 300, seed: 3 });
    expect(bootstrapAurocInterval([0.9, 0.1], [true, false], { resamples: 10, seed: 0 })).toEqual({
      lower: 1,
      upper: 1,
      resamples: 10,
      seed: 0,
    });
  });
  it("is null with one class and refuses a bad number of resamples", () => {
    expect(bootstrapAurocInterval([0.1, 0.2], [true, true], { resamples: 10, seed: 0 })).toBeNull();
    expect(() => bootstrapAurocInterval([0.1], [true], { resamples: 0, seed: 0 })).toThrow(RangeError);
  });
});
