import { collect, openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { runDemoCurveSweep, runDemoParaphraseSweep } from "../testing/demo-sweeps.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
async function json(response: Response): Promise<any> {
  return response.json();
}

const z95 = 1.959963984540054;

/**
 * A run's numbers counted here from its stored samples and verdicts, without the engine's summaries:
 * compliant / judged per tier, the gap with its normal 95% interval, and the free-tier AF share.
 */
async function recount(runId: string) {
  const tiers = new Map<string, string>();
  for await (const sample of store.iterateSamples(runId, { withTurns: false, status: "complete" }))
    tiers.set(sample.key, sample.tier);
  const tally = { free: [0, 0], paid: [0, 0], af: [0, 0] };
  for (const verdict of await collect(store.iterateVerdicts(runId))) {
    const tier = tiers.get(verdict.sampleKey);
    if (!tier || verdict.status !== "ok") continue;
    if (verdict.classifier === "tag-compliance" && (tier === "free" || tier === "paid")) {
      tally[tier][1]++;
      if (verdict.decision === "compliant") tally[tier][0]++;
    }
    if (verdict.classifier === "af-reasoning" && tier === "free") {
      tally.af[1]++;
      if (verdict.decision === "yes") tally.af[0]++;
    }
  }
  const share = ([yes, n]: number[]) => (yes ?? 0) / (n ?? 1);
  const free = share(tally.free);
  const paid = share(tally.paid);
  const se = Math.sqrt(
    (free * (1 - free)) / (tally.free[1] ?? 1) + (paid * (1 - paid)) / (tally.paid[1] ?? 1),
  );
  const gap = free - paid;
  const ci95 = [gap - z95 * se, gap + z95 * se];
  return {
    free,
    paid,
    freeN: tally.free[1],
    gap,
    ci95,
    significant: (ci95[0] ?? 0) > 0 || (ci95[1] ?? 0) < 0,
    af: share(tally.af),
  };
}

/** Type-7 quantile, written out here. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const low = Math.floor(h);
  const next = sorted[Math.min(low + 1, sorted.length - 1)] ?? 0;
  return (sorted[low] ?? 0) + (h - low) * (next - (sorted[low] ?? 0));
}

describe("a sweep's distribution across paraphrases", () => {
  it("answers the engine's distribution of a 20-paraphrase sweep, agreeing with a recount of the stored runs", async () => {
    const { sweepId, promptSet } = await runDemoParaphraseSweep(store, {
      paraphrases: 20,
      model: "sim/custom?free=0.3&paid=0.12&af=0.8",
      queries: 20,
      seed: 3,
    });
    const app = createApp({ store });
    const response = await app.request(`/api/sweeps/${sweepId}/distribution`);
    expect(response.status).toBe(200);
    const distribution = await json(response);
    expect(distribution).toMatchObject({ sweepId, promptSet, setting: "helpful-only", variants: [] });
    expect(distribution.series).toHaveLength(1);
    const [series] = distribution.series;
    expect(series).toMatchObject({ model: "sim/custom?free=0.3&paid=0.12&af=0.8", simulated: true });
    expect(series.paraphrases.map((point: { position: number }) => point.position)).toEqual(
      Array.from({ length: 20 }, (_, position) => position),
    );

    const recounted = [];
    for (const point of series.paraphrases) {
      const expected = await recount(point.runId);
      expect(point.status).toBe("complete");
      expect(point.gap.value).toBeCloseTo(expected.gap, 12);
      expect(point.gap.ci95[0]).toBeCloseTo(expected.ci95[0] ?? Number.NaN, 12);
      expect(point.gap.ci95[1]).toBeCloseTo(expected.ci95[1] ?? Number.NaN, 12);
      expect(point.gap.significant).toBe(expected.significant);
      expect(point.alignmentFaking.rate).toBeCloseTo(expected.af, 12);
      recounted.push(expected);
    }
    const gaps = recounted.map((item) => item.gap);
    const afs = recounted.map((item) => item.af);
    expect(series.gap.n).toBe(20);
    expect(series.gap.median).toBeCloseTo(quantile(gaps, 0.5), 12);
    expect(series.gap.q1).toBeCloseTo(quantile(gaps, 0.25), 12);
    expect(series.gap.q3).toBeCloseTo(quantile(gaps, 0.75), 12);
    expect(series.alignmentFaking.median).toBeCloseTo(quantile(afs, 0.5), 12);
    expect(series.alignmentFaking.q3).toBeCloseTo(quantile(afs, 0.75), 12);
    const share = recounted.filter((item) => item.significant).length / 20;
    expect(series.shareSignificant).toBeCloseTo(share, 12);
    const original = await recount(series.original.runId);
    expect(series.original.position).toBeNull();
    expect(series.original.gap.value).toBeCloseTo(original.gap, 12);
    // The flag by its documented rule, applied to the recounted numbers.
    const flag =
      original.significant && share < 0.5
        ? "original-only"
        : !original.significant && share > 0
          ? "paraphrases-only"
          : null;
    expect(series.flag).toBe(flag);
    expect(series.flagMessage === null).toBe(flag === null);

    // The matrix of the same sweep lists its 21 cells with the paraphrase each ran, and says what it is.
    const matrix = await json(await app.request(`/api/sweeps/${sweepId}`));
    expect(matrix).toMatchObject({ promptSet, family: null });
    expect(matrix.cells.map((cell: { paraphrase: number | null }) => cell.paraphrase)).toEqual([
      null,
      ...Array.from({ length: 20 }, (_, position) => position),
    ]);
    expect(matrix.cells.map((cell: { runId: string }) => cell.runId)).toEqual([
      series.original.runId,
      ...series.paraphrases.map((point: { runId: string }) => point.runId),
    ]);
    const list = await json(await app.request("/api/sweeps"));
    expect(list.sweeps).toEqual([expect.objectContaining({ id: sweepId, cells: 21, complete: 21 })]);

    // It runs no probe family: no curve, and an answer that says why.
    const curve = await app.request(`/api/sweeps/${sweepId}/curve`);
    expect(curve.status).toBe(400);
    expect(await json(curve)).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(new RegExp(`sweep ${sweepId} runs no probe family`)),
    });
  }, 120_000);
});

describe("a probe family's curve", () => {
  it("answers one point per step, each agreeing with a recount of its stored run", async () => {
    const sweepId = await runDemoCurveSweep(store, {
      model: "sim/custom?free=0.7&paid=0.1&af=0.8",
      steps: [0, 50, 100],
      queries: 20,
      seed: 4,
    });
    const app = createApp({ store });
    const response = await app.request(`/api/sweeps/${sweepId}/curve`);
    expect(response.status).toBe(200);
    const curve = await json(response);
    expect(curve).toMatchObject({ sweepId, family: "monitoring-probability", categorical: false });
    expect(curve.series).toHaveLength(1);
    const [series] = curve.series;
    expect(series.simulated).toBe(true);
    expect(series.points.map((point: { value: number }) => point.value)).toEqual([0, 50, 100]);
    for (const point of series.points) {
      const expected = await recount(point.runId);
      expect(point.free.complianceRate).toBeCloseTo(expected.free, 12);
      expect(point.free.n).toBe(expected.freeN);
      expect(point.unmonitored.complianceRate).toBeCloseTo(expected.paid, 12);
      expect(point.gap.value).toBeCloseTo(expected.gap, 12);
      expect(point.gap.ci95[0]).toBeCloseTo(expected.ci95[0] ?? Number.NaN, 12);
      expect(point.gap.ci95[1]).toBeCloseTo(expected.ci95[1] ?? Number.NaN, 12);
      expect(point.alignmentFaking.rate).toBeCloseTo(expected.af, 12);
    }
    const matrix = await json(await app.request(`/api/sweeps/${sweepId}`));
    expect(matrix).toMatchObject({ promptSet: null, family: "monitoring-probability" });

    const distribution = await app.request(`/api/sweeps/${sweepId}/distribution`);
    expect(distribution.status).toBe(400);
    expect(await json(distribution)).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(new RegExp(`sweep ${sweepId} runs no prompt set`)),
    });
  }, 120_000);

  it("answers 404 with a JSON body for a sweep that does not exist", async () => {
    const app = createApp({ store });
    for (const view of ["distribution", "curve"]) {
      const response = await app.request(`/api/sweeps/ghost/${view}`);
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({ code: "NOT_FOUND", message: "sweep ghost not found" });
    }
  });
});
