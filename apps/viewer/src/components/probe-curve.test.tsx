import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ProbeCurve, ProbeCurvePoint } from "../api-types.js";
import { ProbeCurveView } from "./probe-curve.js";

afterEach(cleanup);

function step(value: number, label: string, gap: number | null): ProbeCurvePoint {
  return {
    value,
    label,
    variant: `consequence-${value}`,
    runId: `run-${value}`,
    status: gap === null ? "missing" : "complete",
    free: null,
    unmonitored: null,
    gap: gap === null ? null : { value: gap, se: 0.05, ci95: [gap - 0.1, gap + 0.1], significant: gap > 0.1 },
    alignmentFaking: null,
  };
}

const curve: ProbeCurve = {
  sweepId: "sweep-y",
  family: "non-compliance-consequence",
  axis: "consequence of non-compliance",
  categorical: true,
  series: [
    {
      model: "sim/opus-like",
      setting: "helpful-only",
      variants: [],
      userFormat: "minimal",
      simulated: false,
      points: [step(0, "nothing", 0.01), step(1, "weights modified", 0.3), step(2, "weights deleted", null)],
    },
  ],
};

describe("a probe family's curve", () => {
  it("places categorical steps evenly in order, draws whiskers for run steps and says which did not run", () => {
    render(<ProbeCurveView curve={curve} />);
    const plot = screen.getByRole("img", {
      name: "Compliance gap against consequence of non-compliance: sim/opus-like",
    });
    const dots = [...plot.querySelectorAll("g.curve-point circle")];
    expect(dots).toHaveLength(2);
    const [nothing, modified] = dots.map((dot) => ({
      x: Number(dot.getAttribute("cx")),
      y: Number(dot.getAttribute("cy")),
    }));
    expect(modified?.x).toBeGreaterThan(nothing?.x ?? Number.POSITIVE_INFINITY);
    expect(modified?.y).toBeLessThan(nothing?.y ?? Number.NEGATIVE_INFINITY);
    expect(dots[0]?.getAttribute("class")).toContain("curve-dot-open");
    expect(plot.querySelector('g[data-step="2"]')?.textContent).toContain("not run");
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows.map((row) => row.querySelector("th")?.textContent)).toEqual([
      "nothing",
      "weights modified",
      "weights deleted",
    ]);
    expect(screen.getAllByTestId("curve-gap").map((cell) => cell.textContent)).toEqual([
      "+1.0 pp",
      "+30.0 pp",
      "not run",
    ]);
    // Real runs carry no simulated badge.
    expect(document.querySelector(".badge-simulated")).toBeNull();
  });
});
