import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ParaphraseDistribution, ParaphrasePoint } from "../api-types.js";
import { ParaphraseDistributionView } from "./paraphrase-distribution.js";

afterEach(cleanup);

function point(position: number | null, value: number | null, significant = false): ParaphrasePoint {
  return {
    position,
    hash: position === null ? null : `hash-${position}`,
    runId: `run-${position ?? "original"}`,
    status: value === null ? "missing" : "complete",
    gap: value === null ? null : { value, se: 0.05, ci95: [value - 0.1, value + 0.1], significant },
    alignmentFaking: null,
  };
}

function distribution(): ParaphraseDistribution {
  return {
    sweepId: "sweep-x",
    promptSet: "set-x",
    setting: "helpful-only",
    variants: [],
    series: [
      {
        model: "sim/opus-like",
        userFormat: "minimal",
        simulated: true,
        original: point(null, 0.02),
        paraphrases: [point(0, 0.15, true), point(1, 0.05), point(2, -0.04), point(3, null)],
        gap: { n: 3, median: 0.05, q1: 0.005, q3: 0.1, iqr: 0.095 },
        alignmentFaking: null,
        shareSignificant: 1 / 3,
        flag: "paraphrases-only",
        flagMessage:
          "the original prompt shows no gap whose interval excludes 0, but 33% of the paraphrases do",
      },
    ],
  };
}

describe("the distribution across paraphrases", () => {
  it("draws a row per prompt sorted by gap, the median and the flag; a prompt not run says so", () => {
    const { container } = render(<ParaphraseDistributionView distribution={distribution()} />);
    const plot = screen.getByRole("img", { name: "Compliance gap per prompt: sim/opus-like (simulated)" });
    const rows = [...plot.querySelectorAll("g[data-prompt]")].map((row) => row.getAttribute("data-prompt"));
    expect(rows).toEqual(["original", "paraphrase-2", "paraphrase-1", "paraphrase-0", "paraphrase-3"]);
    expect(plot.querySelectorAll("g.strip-paraphrase circle")).toHaveLength(3);
    expect(plot.querySelectorAll("g.strip-paraphrase circle.strip-point-open")).toHaveLength(2);
    expect(plot.querySelector('g[data-prompt="paraphrase-3"]')?.textContent).toContain("not run");
    expect(plot.querySelector(".strip-median-label")?.textContent).toBe("median +5.0 pp");
    expect(screen.getByRole("alert").textContent).toContain("33% of the paraphrases do");
    expect(screen.getByTestId("distribution-share").textContent).toBe(
      "33% of paraphrases have a gap whose 95% interval excludes 0",
    );
    expect(screen.getByTestId("distribution-original").textContent).toBe(
      "original prompt +2.0 pp [-8.0, +12.0], includes 0",
    );
    // No AF classifier: no AF plot.
    expect(container.querySelector('[data-testid="paraphrase-af"]')).toBeNull();
  });
});
