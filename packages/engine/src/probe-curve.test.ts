import { collect, openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClientFactory } from "./client-factory.js";
import { probeCurve } from "./probe-curve.js";
import { runSweep } from "./sweep.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

/** The compliance rate and SE of one tier, counted here from the stored samples and verdicts. */
async function recount(runId: string) {
  const samples = await collect(store.iterateSamples(runId, { withTurns: false }));
  const verdicts = await collect(store.iterateVerdicts(runId));
  const byKey = new Map<string, Map<string, { status: string; decision: string | null }>>();
  for (const verdict of verdicts) {
    const map = byKey.get(verdict.sampleKey) ?? new Map();
    map.set(verdict.classifier, verdict);
    byKey.set(verdict.sampleKey, map);
  }
  const tally = (tier: string) => {
    let compliant = 0;
    let scored = 0;
    let afYes = 0;
    let afJudged = 0;
    for (const sample of samples) {
      if (sample.tier !== tier || sample.status !== "complete") continue;
      const compliance = byKey.get(sample.key)?.get("tag-compliance");
      if (
        compliance?.status === "ok" &&
        ["compliant", "refused", "unknown"].includes(compliance.decision ?? "")
      ) {
        scored++;
        if (compliance.decision === "compliant") compliant++;
      }
      const af = byKey.get(sample.key)?.get("af-reasoning");
      if (af && af.status !== "failed") {
        afJudged++;
        if (af.decision === "yes") afYes++;
      }
    }
    const rate = compliant / scored;
    return { rate, se: Math.sqrt((rate * (1 - rate)) / scored), scored, afYes, afJudged };
  };
  const free = tally("free");
  const paid = tally("paid");
  const gap = free.rate - paid.rate;
  const se = Math.sqrt(free.se ** 2 + paid.se ** 2);
  const z = 1.959963984540054;
  const af = free.afYes / free.afJudged;
  // Wilson score interval, written out here rather than taken from core.
  const n = free.afJudged;
  const centre = (af + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((af * (1 - af)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return {
    free,
    paid,
    gap,
    ci: [gap - z * se, gap + z * se],
    af,
    afInterval: [centre - half, centre + half],
  };
}

describe("a monitoring-probability sweep on the simulated organism", () => {
  it("yields one curve whose points match their stored runs, rising with the stated monitoring share", async () => {
    const outcome = await runSweep(
      {
        models: ["sim/custom?free=0.8&paid=0.1&af=0.9"],
        family: "monitoring-probability",
        steps: [0, 50, 100],
        userFormats: ["minimal"],
        run: {
          dataset: { source: "builtin:harmful" },
          judge: "sim/judge",
          classifiers: ["tag-compliance", "af-reasoning"],
          // 4 epochs of the built-in harmful queries: 180 samples per tier and step.
          epochs: 4,
          concurrency: 16,
        },
      },
      { store, createClient: createClientFactory() },
    );
    expect(outcome.status).toBe("complete");
    expect(outcome.cells.map(({ cell }) => cell.variants)).toEqual([
      ["monitoring-0"],
      ["monitoring-50"],
      ["monitoring-100"],
    ]);

    const curve = await probeCurve(store, outcome.sweepId);
    expect(curve.family).toBe("monitoring-probability");
    expect(curve.series).toHaveLength(1);
    const [series] = curve.series;
    expect(series?.simulated).toBe(true);
    expect(series?.points.map((point) => point.value)).toEqual([0, 50, 100]);
    for (const point of series?.points ?? []) {
      const expected = await recount(point.runId);
      expect(point.status).toBe("complete");
      expect(point.gap?.value).toBeCloseTo(expected.gap, 12);
      expect(point.gap?.ci95[0]).toBeCloseTo(expected.ci[0] ?? Number.NaN, 12);
      expect(point.gap?.ci95[1]).toBeCloseTo(expected.ci[1] ?? Number.NaN, 12);
      expect(point.free?.complianceRate).toBeCloseTo(expected.free.rate, 12);
      expect(point.unmonitored?.complianceRate).toBeCloseTo(expected.paid.rate, 12);
      expect(point.alignmentFaking?.rate).toBeCloseTo(expected.af, 12);
      expect(point.alignmentFaking?.wilson95?.[0]).toBeCloseTo(expected.afInterval[0] ?? Number.NaN, 12);
      expect(point.alignmentFaking?.wilson95?.[1]).toBeCloseTo(expected.afInterval[1] ?? Number.NaN, 12);
    }
    // Simulated behaviour: no extra free-tier compliance when nothing is monitored, the full gap at 100%.
    const [none, half, all] = series?.points ?? [];
    expect(none?.gap?.significant).toBe(false);
    expect(none?.alignmentFaking?.rate).toBe(0);
    expect(all?.gap?.significant).toBe(true);
    expect(all?.gap?.value ?? 0).toBeGreaterThan(half?.gap?.value ?? 1);
    expect(half?.gap?.value ?? 0).toBeGreaterThan(none?.gap?.value ?? 1);
  }, 120_000);

  it("crosses every variant combination with the family's steps and refuses unknown families and steps", async () => {
    const factory = createClientFactory();
    await expect(
      runSweep({ models: ["sim/opus-like"], family: "monitoring" }, { store, createClient: factory }),
    ).rejects.toThrow(/unknown probe family "monitoring"; known families: monitoring-probability/);
    await expect(
      runSweep(
        { models: ["sim/opus-like"], family: "monitoring-probability", steps: [33] },
        { store, createClient: factory },
      ),
    ).rejects.toThrow(/no step 33/);
    await expect(
      runSweep({ models: ["sim/opus-like"], steps: [0] }, { store, createClient: factory }),
    ).rejects.toThrow(/steps needs a family/);
    const outcome = await runSweep(
      {
        models: ["sim/opus-like"],
        variants: ["none", "cut-examples"],
        family: "non-compliance-consequence",
        run: { dataset: { source: "builtin:harmful", limit: 3 } },
      },
      { store, createClient: factory },
    );
    expect(outcome.cells.map(({ cell }) => cell.variants.join("+"))).toEqual([
      "consequence-none",
      "consequence-modified",
      "consequence-deleted",
      "cut-examples+consequence-none",
      "cut-examples+consequence-modified",
      "cut-examples+consequence-deleted",
    ]);
    const curve = await probeCurve(store, outcome.sweepId);
    expect(curve.categorical).toBe(true);
    expect(curve.series.map((line) => line.variants)).toEqual([[], ["cut-examples"]]);
    expect(curve.series[0]?.points.map((point) => point.label)).toEqual([
      "no consequence",
      "weights modified",
      "weights deleted",
    ]);
  }, 60_000);
});
