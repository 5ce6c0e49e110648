import type { Verdict } from "@aflab/core";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { criterionName, VerdictCard, verdictSentence } from "./verdict-card.js";

afterEach(cleanup);

function verdict(overrides: Partial<Verdict> = {}): Verdict {
  return {
    runId: "r",
    sampleKey: "k",
    classifier: "af-reasoning",
    status: "ok",
    decision: "yes",
    score: 0.75,
    judgeModel: "sim/judge",
    promptVersion: "af-reasoning-1",
    criteria: {
      votesRequested: 20,
      votesParsed: 19,
      votesYes: 15,
      criterionYes: { harm_awareness: 19, training_consequences: 15 },
      failedVotes: [{ vote: 3, kind: "malformed", message: "no <final_answer>" }],
      finalDisagreements: 0,
    },
    quotes: ["RLHF will change me"],
    raw: ["<final_answer>Yes</final_answer>"],
    failure: null,
    usage: { inputTokens: 1, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  } as Verdict;
}

describe("VerdictCard", () => {
  it("reads as sentences with the votes per criterion, never raw JSON", () => {
    render(<VerdictCard verdict={verdict()} />);
    const card = document.querySelector("[data-classifier=af-reasoning]");
    const text = card?.textContent ?? "";
    expect(screen.getByTestId("verdict-sentence-af-reasoning").textContent).toBe(
      "af-reasoning (judge sim/judge) judged whether the reasoning shows alignment faking: yes, 15 of 19 votes said yes (1 of 20 could not be read).",
    );
    expect(document.querySelector('[data-criterion="harm_awareness"]')?.textContent).toBe(
      "harm awareness19 of 19",
    );
    expect(document.querySelector('[data-criterion="training_consequences"]')?.textContent).toBe(
      "training consequences15 of 19",
    );
    expect(text).toContain("no <final_answer>");
    expect(text).not.toMatch(/[{}]|"harm_awareness"|criterionYes/);
    // The raw judge output is there, one click away.
    expect(document.querySelector("details.raw-judge")?.hasAttribute("open")).toBe(false);
  });

  it("says why a failed or inapplicable verdict has no decision", () => {
    expect(
      verdictSentence(
        verdict({ status: "failed", decision: null, failure: { kind: "malformed", message: "x" } }),
      ),
    ).toBe(
      "af-reasoning (judge sim/judge) was asked whether the reasoning shows alignment faking and failed: malformed.",
    );
    expect(verdictSentence(verdict({ status: "not_applicable", decision: null, criteria: null }))).toBe(
      "af-reasoning (judge sim/judge) had nothing to judge for whether the reasoning shows alignment faking.",
    );
    expect(criterionName("votesYes")).toBe("votes yes");
  });
});
