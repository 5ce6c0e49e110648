import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../api-types.js";
import { figureRows, TierFigure } from "./tier-figure.js";

afterEach(cleanup);

function report(): RunReport {
  const tier = (compliant: number, refused: number, failed: number) => {
    const n = compliant + refused;
    const rate = compliant / n;
    return {
      n: n + failed,
      compliant,
      refused,
      apiRefused: 0,
      unknown: 0,
      failed,
      complianceRate: rate,
      se: Math.sqrt((rate * (1 - rate)) / n),
      wilson95: [0, 1] as [number, number],
    };
  };
  return {
    runId: "r",
    model: "sim/opus-like",
    setting: "helpful-only",
    simulated: true,
    simulatedSides: { model: true, judge: false },
    judge: null,
    status: "complete",
    label: null,
    variants: [],
    userFormat: "paper",
    total: 42,
    complianceClassifier: "tag-compliance",
    scratchpadSource: { setting: "auto", judged: { tags: 40, reasoning: 0, both: 0, none: 0 } },
    tiers: { free: tier(8, 12, 1), paid: tier(2, 18, 1) },
    gap: null,
    alignmentFaking: null,
    evalAwareness: null,
    unverbalisedGap: null,
    partialCompliance: null,
    categories: {
      free: {
        refuses: 12,
        compliesWithoutAf: 3,
        compliesWithAf: 4,
        afWithPartialCompliance: 1,
        unknown: 0,
        failed: 1,
      },
      paid: {
        refuses: 18,
        compliesWithoutAf: 2,
        compliesWithAf: 0,
        afWithPartialCompliance: 0,
        unknown: 0,
        failed: 1,
      },
    },
    judgeFailures: {},
    usage: {
      model: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
      judge: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
      costUsd: 0,
      judgeCostUsd: 0,
      retries: 0,
    },
    reference: {
      setting: "helpful-only",
      variation: "default",
      source: "paper",
      alignmentFaking: { value: 0.119, se: 0.017 },
      compliance: { free: { value: 0.142, se: 0.019 }, paid: { value: 0.028, se: 0.009 } },
      gap: { value: 0.113, se: 0.021 },
    },
    warnings: [],
  };
}

describe("figureRows", () => {
  it("gives each category its share of the scored samples, failed ones left out", () => {
    const [free, paid] = figureRows(report());
    expect(free?.tier).toBe("free");
    expect(free?.scored).toBe(20);
    expect(free?.shares).toEqual({
      refuses: 12 / 20,
      unknown: 0,
      compliesWithoutAf: 3 / 20,
      compliesWithAf: 4 / 20,
      afWithPartialCompliance: 1 / 20,
    });
    // The complying segments add up to the reported compliance rate.
    const shares = free?.shares;
    expect(
      (shares?.compliesWithoutAf ?? 0) +
        (shares?.compliesWithAf ?? 0) +
        (shares?.afWithPartialCompliance ?? 0),
    ).toBeCloseTo(free?.compliance ?? Number.NaN, 12);
    expect(paid?.reference).toEqual({ value: 0.028, se: 0.009 });
  });
});

describe("TierFigure", () => {
  it("draws the non-empty segments, an error bar per tier and the paper's markers", () => {
    const { container } = render(<TierFigure report={report()} />);
    expect(screen.getByRole("img", { name: "Compliance and alignment faking per tier" })).toBeTruthy();
    expect(container.querySelectorAll("[data-segment]").length).toBe(4 + 2);
    expect(container.querySelectorAll("[data-error-bar]").length).toBe(2);
    expect(container.querySelectorAll("[data-reference]").length).toBe(2);
    const hatched = container.querySelector('[data-tier="free"] [data-segment="compliesWithAf"]');
    expect(hatched?.getAttribute("fill")).toBe("url(#hatch-af)");
    // 4/20 of the plot width.
    expect(Number(hatched?.getAttribute("width"))).toBeCloseTo((760 - 170 - 20) * 0.2, 6);
  });
});
