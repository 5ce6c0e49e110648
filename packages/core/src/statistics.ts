/**
 * Statistics for proportions, gaps and paired comparisons. Conventions follow the paper: ±1 standard
 * error is SE = sqrt(p(1-p)/n); a gap's SE is sqrt(SE_a² + SE_b²). Intervals are 95% unless stated.
 */

import { seededRandom } from "./random.js";

export const Z_95 = 1.959963984540054;

export interface Proportion {
  successes: number;
  n: number;
  /** successes / n, or null when n = 0. */
  rate: number | null;
  /** sqrt(p(1-p)/n), or null when n = 0. */
  se: number | null;
  /** Wilson score interval; null when n = 0. */
  wilson95: [number, number] | null;
}

export function binomialSe(successes: number, n: number): number | null {
  if (n <= 0) return null;
  const p = successes / n;
  return Math.sqrt((p * (1 - p)) / n);
}

/** Wilson score interval: well-behaved near 0 and 1, where the normal interval collapses. */
export function wilsonInterval(successes: number, n: number, z = Z_95): [number, number] | null {
  if (n <= 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function proportion(successes: number, n: number): Proportion {
  return {
    successes,
    n,
    rate: n > 0 ? successes / n : null,
    se: binomialSe(successes, n),
    wilson95: wilsonInterval(successes, n),
  };
}

export interface Difference {
  value: number;
  se: number;
  ci95: [number, number];
  /** True when the 95% interval excludes zero. */
  significant: boolean;
}

/** Difference of two independent proportions a − b (e.g. the compliance gap free − paid). */
export function proportionDifference(a: Proportion, b: Proportion): Difference | null {
  if (a.rate === null || b.rate === null || a.se === null || b.se === null) return null;
  const value = a.rate - b.rate;
  const se = Math.sqrt(a.se * a.se + b.se * b.se);
  return withInterval(value, se);
}

function withInterval(value: number, se: number): Difference {
  const ci95: [number, number] = [value - Z_95 * se, value + Z_95 * se];
  return { value, se, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
}

export interface PairedComparison extends Difference {
  pairs: number;
  /** Pairs where only the first is a success (1,0) and where only the second is (0,1). */
  onlyFirst: number;
  onlySecond: number;
  mcnemar: McNemarResult;
}

/**
 * Paired difference of success rates over the same items (e.g. the same queries in two runs):
 * mean of d_i = a_i − b_i with SE = sd(d)/sqrt(n), plus McNemar's test on the discordant pairs.
 */
export function pairedDifference(pairs: ReadonlyArray<readonly [boolean, boolean]>): PairedComparison | null {
  const n = pairs.length;
  if (n === 0) return null;
  let onlyFirst = 0;
  let onlySecond = 0;
  for (const [first, second] of pairs) {
    if (first && !second) onlyFirst++;
    else if (!first && second) onlySecond++;
  }
  const mean = (onlyFirst - onlySecond) / n;
  // d_i ∈ {−1, 0, 1}: Σd² = discordant pairs, so the sample variance needs no second pass.
  const variance = n > 1 ? (onlyFirst + onlySecond - n * mean * mean) / (n - 1) : 0;
  const se = Math.sqrt(Math.max(0, variance) / n);
  return {
    ...withInterval(mean, se),
    pairs: n,
    onlyFirst,
    onlySecond,
    mcnemar: mcnemarTest(onlyFirst, onlySecond),
  };
}

export interface McNemarResult {
  b: number;
  c: number;
  /** Chi-square with continuity correction, (|b−c|−1)²/(b+c); null when b+c = 0. */
  chiSquare: number | null;
  /** Exact two-sided binomial p-value on the discordant pairs (1 when there are none). */
  pValue: number;
}

export function mcnemarTest(b: number, c: number): McNemarResult {
  const discordant = b + c;
  if (discordant === 0) return { b, c, chiSquare: null, pValue: 1 };
  const chiSquare = (Math.abs(b - c) - 1) ** 2 / discordant;
  const smaller = Math.min(b, c);
  let tail = 0;
  for (let k = 0; k <= smaller; k++) tail += binomialProbability(discordant, k, 0.5);
  return { b, c, chiSquare, pValue: Math.min(1, 2 * tail) };
}

/** P(X = k) for X ~ Binomial(n, p), computed in log space so large n does not overflow. */
export function binomialProbability(n: number, k: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  const logChoose = logFactorial(n) - logFactorial(k) - logFactorial(n - k);
  return Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
}

const logFactorialCache: number[] = [0];
function logFactorial(n: number): number {
  for (let i = logFactorialCache.length; i <= n; i++) {
    logFactorialCache[i] = (logFactorialCache[i - 1] ?? 0) + Math.log(i);
  }
  return logFactorialCache[n] ?? 0;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * ties counting one half (the Mann–Whitney statistic). Null when either class is empty.
 */
export function auroc(scores: ReadonlyArray<number>, labels: ReadonlyArray<boolean>): number | null {
  if (scores.length !== labels.length) throw new RangeError("scores and labels differ in length");
  const ranked = scores.map((score, index) => ({ score, positive: labels[index] === true }));
  ranked.sort((left, right) => left.score - right.score);
  let positives = 0;
  let rankSumPositives = 0;
  for (let start = 0; start < ranked.length; ) {
    let end = start;
    while (end + 1 < ranked.length && ranked[end + 1]?.score === ranked[start]?.score) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let index = start; index <= end; index++) {
      if (ranked[index]?.positive) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = ranked.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, interpolating linearly between the two nearest
 * ranks: position (n − 1)·q, as numpy's and R's default (type 7) do.
 */
export function quantileOfSorted(sorted: ReadonlyArray<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError("quantileOfSorted needs at least one value");
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const lower = sorted[below] as number;
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lower + (position - below) * (upper - lower);
}

export interface BootstrapInterval {
  lower: number;
  upper: number;
  resamples: number;
  seed: number;
}

/**
 * A 95% interval for AUROC by the stratified percentile bootstrap: each resample draws as many positives
 * from the positives and as many negatives from the negatives as there are, with replacement (positives
 * first, each index ⌊u·count⌋ for the next u of `seededRandom(seed)`), computes AUROC, and the interval is
 * the 2.5% and 97.5% quantiles of the resampled values (see {@link quantileOfSorted}). Keeping the class
 * sizes fixed means every resample has both classes. Null when either class is empty.
 */
export function bootstrapAurocInterval(
  scores: ReadonlyArray<number>,
  labels: ReadonlyArray<boolean>,
  options: { resamples: number; seed: number },
): BootstrapInterval | null {
  if (scores.length !== labels.length) throw new RangeError("scores and labels differ in length");
  if (!Number.isInteger(options.resamples) || options.resamples < 1) {
    throw new RangeError("bootstrapAurocInterval needs a whole number of resamples, at least 1");
  }
  const positives = scores.filter((_, index) => labels[index] === true);
  const negatives = scores.filter((_, index) => labels[index] !== true);
  if (positives.length === 0 || negatives.length === 0) return null;
  const random = seededRandom(options.seed);
  const resampledLabels = [...positives.map(() => true), ...negatives.map(() => false)];
  const values: number[] = [];
  for (let resample = 0; resample < options.resamples; resample++) {
    const drawn: number[] = [];
    for (let index = 0; index < positives.length; index++)
      drawn.push(positives[Math.floor(random() * positives.length)] as number);
    for (let index = 0; index < negatives.length; index++)
      drawn.push(negatives[Math.floor(random() * negatives.length)] as number);
    values.push(auroc(drawn, resampledLabels) as number);
  }
  values.sort((left, right) => left - right);
  return {
    lower: quantileOfSorted(values, 0.025),
    upper: quantileOfSorted(values, 0.975),
    resamples: options.resamples,
    seed: options.seed,
  };
}

export interface ConfusionMatrix {
  threshold: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  accuracy: number | null;
}

/** Confusion matrix when "positive" means score ≥ threshold. */
export function confusionMatrix(
  scores: ReadonlyArray<number>,
  labels: ReadonlyArray<boolean>,
  threshold: number,
): ConfusionMatrix {
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  scores.forEach((score, index) => {
    const predicted = score >= threshold;
    const actual = labels[index] === true;
    if (predicted && actual) truePositives++;
    else if (predicted) falsePositives++;
    else if (actual) falseNegatives++;
    else trueNegatives++;
  });
  const ratio = (numerator: number, denominator: number) =>
    denominator > 0 ? numerator / denominator : null;
  const precision = ratio(truePositives, truePositives + falsePositives);
  const recall = ratio(truePositives, truePositives + falseNegatives);
  const f1 =
    precision !== null && recall !== null && precision + recall > 0
      ? (2 * precision * recall) / (precision + recall)
      : null;
  return {
    threshold,
    truePositives,
    falsePositives,
    trueNegatives,
    falseNegatives,
    precision,
    recall,
    f1,
    accuracy: ratio(truePositives + trueNegatives, scores.length),
  };
}
