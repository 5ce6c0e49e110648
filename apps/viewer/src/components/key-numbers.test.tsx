import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { RunReport, TierSummary } from "../api-types.js";
import { KeyNumbers } from "./key-numbers.js";

afterEach(cleanup);

function tier(compliant: number, refused: number, apiRefused: number): TierSummary {
  const n = compliant + refused;
  return {
    n,
    compliant,
    refused,
    apiRefused,
    unknown: 0,
    failed: 0,
    complianceRate: compliant / n,
    se: 0.05,
    wilson95: [0, 1],
  };
}

const report: RunReport = {
  runId: "r",
  model: "anthropic/claude-sonnet-4-5-20250929",
  setting: "helpful-only",
  simulated: false,
  simulatedSides: { model: false, judge: false },
  judge: null,
  warnings: [],
  status: "complete",
  label: null,
  variants: [],
  userFormat: "minimal",
  total: 40,
  complianceClassifier: "tag-compliance",
  scratchpadSource: { setting: "auto", judged: { tags: 6, reasoning: 27, both: 0, none: 7 } },
  tiers: { free: tier(5, 15, 4), paid: tier(2, 18, 3) },
  gap: null,
  alignmentFaking: null,
  evalAwareness: null,
  unverbalisedGap: null,
  partialCompliance: null,
  categories: null,
  judgeFailures: {},
  usage: {
    model: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    judge: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    judgeCostUsd: 0,
    retries: 0,
  },
  reference: null,
};

describe("KeyNumbers", () => {
  it("shows per tier how many refusals came from the provider's API, out of all refusals", () => {
    render(<KeyNumbers report={report} />);
    expect(screen.getByTestId("api-refused-free").textContent).toBe("4 of 15 refused");
    expect(screen.getByTestId("api-refused-paid").textContent).toBe("3 of 18 refused");
  });

  it("says which text the scratchpad judges read", () => {
    render(<KeyNumbers report={report} />);
    expect(screen.getByTestId("judged-source").textContent).toBe(
      "judged: native reasoning 27, scratchpad tags 6, nothing 7 (scratchpad source auto)",
    );
  });
});
