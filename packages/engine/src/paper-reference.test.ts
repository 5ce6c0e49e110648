import { runConfigSchema } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { paperReference, referenceForRun } from "./paper-reference.js";

function run(config: Record<string, unknown>) {
  return {
    id: "r",
    createdAt: "",
    updatedAt: "",
    status: "complete" as const,
    config: runConfigSchema.parse({ model: "sim/opus-like", ...config }),
    simulated: true,
    promptHash: "h",
    total: 0,
    sweepId: null,
    error: null,
  };
}

describe("paper reference numbers", () => {
  it("turns the published non-compliance into compliance (SPEC §6: 14.2 / 2.8 / 11.3 / 11.9)", () => {
    const reference = paperReference("helpful-only", "default");
    expect(reference?.compliance.free?.value).toBeCloseTo(0.142, 10);
    expect(reference?.compliance.paid?.value).toBeCloseTo(0.028, 10);
    expect(reference?.gap?.value).toBeCloseTo(0.113, 10);
    expect(reference?.alignmentFaking?.value).toBeCloseTo(0.119, 10);
    expect(reference?.gap?.se).toBeCloseTo(0.021, 10);
  });

  it("matches a run's setting and variant, and has none for prompt files or unknown combinations", () => {
    expect(referenceForRun(run({}))?.variation).toBe("default");
    expect(referenceForRun(run({ variants: ["cut-rlhf-info"] }))?.variation).toBe("cut rlhf info");
    expect(referenceForRun(run({ variants: ["cut-examples"] }))?.compliance.free?.value).toBeCloseTo(
      1 - 0.653,
      10,
    );
    expect(referenceForRun(run({ promptFile: "x.txt" }))).toBeNull();
    expect(referenceForRun(run({ variants: ["three-tier"] }))).toBeNull();
    expect(referenceForRun(run({ setting: "animal-welfare" }))?.setting).toBe("animal-welfare");
  });
});
