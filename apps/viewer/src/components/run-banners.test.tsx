import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../api-types.js";
import { RunBanners, simulatedSidesLabel } from "./run-banners.js";

afterEach(cleanup);

/** Only what the banners read; the rest of a report does not matter to them. */
function report(overrides: Partial<RunReport>): RunReport {
  return {
    model: "anthropic/claude-opus-4-6",
    judge: "anthropic/claude-sonnet-4-6",
    simulated: false,
    simulatedSides: { model: false, judge: false },
    warnings: [],
    ...overrides,
  } as RunReport;
}

describe("RunBanners", () => {
  it("shows nothing for a real run without warnings", () => {
    const { container } = render(<RunBanners report={report({})} />);
    expect(container.innerHTML).toBe("");
  });

  it("names the simulated judge of a real model, and does not call the model simulated", () => {
    render(
      <RunBanners
        report={report({
          judge: "sim/judge",
          simulated: true,
          simulatedSides: { model: false, judge: true },
        })}
      />,
    );
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("SIMULATED judge — sim/judge is keyword rules");
    expect(alert.textContent).not.toContain("SIMULATED model");
  });

  it("names both sides of the offline run in one alert", () => {
    render(
      <RunBanners
        report={report({
          model: "sim/opus-like",
          judge: "sim/judge",
          simulated: true,
          simulatedSides: { model: true, judge: true },
        })}
      />,
    );
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain(
      "SIMULATED model — this run used the simulated model organism (sim/opus-like)",
    );
    expect(alert.textContent).toContain("SIMULATED judge — sim/judge");
  });

  it("lists every warning of the report", () => {
    const warnings: RunReport["warnings"] = [
      { code: "unknown_share", tier: "free", share: 1, message: "free: 100% of samples unknown: the cause" },
      { code: "failed_share", tier: "paid", share: 0.25, message: "paid: 25% of samples failed: the cause" },
      {
        code: "reference_not_comparable",
        tier: null,
        share: null,
        message: "the paper's numbers are not comparable",
      },
    ];
    render(<RunBanners report={report({ warnings })} />);
    const items = screen.getAllByRole("listitem").map((item) => item.textContent);
    expect(items).toEqual(warnings.map((warning) => warning.message));
    expect(screen.getByRole("alert").textContent).toContain("These numbers are less than they look");
  });
});

describe("simulatedSidesLabel", () => {
  it("says which side is simulated", () => {
    expect(simulatedSidesLabel({ simulatedSides: { model: true, judge: true } })).toBe("model and judge");
    expect(simulatedSidesLabel({ simulatedSides: { model: false, judge: true } })).toBe("judge");
    expect(simulatedSidesLabel({ simulatedSides: { model: false, judge: false } })).toBe("");
  });
});
