import { describe, expect, it } from "vitest";
import { runSchema } from "./run.js";
import { isSimulated, resolveSimulated, simulatedSidesOf } from "./simulated.js";

describe("resolveSimulated: the one place that says what a sim/ id is", () => {
  it("tells the organism, the judge and real models apart", () => {
    expect(resolveSimulated("sim/opus-like")).toEqual({
      kind: "organism",
      id: "sim/opus-like",
      name: "opus-like",
    });
    expect(resolveSimulated("sim/custom?free=0.3&paid=0.1")).toMatchObject({
      kind: "organism",
      name: "custom?free=0.3&paid=0.1",
    });
    expect(resolveSimulated("sim/judge")).toEqual({ kind: "judge", id: "sim/judge" });
    expect(resolveSimulated("anthropic/claude-sonnet-4-6")).toBeUndefined();
    expect(resolveSimulated("openai-compatible/sim/x")).toBeUndefined();
    expect(isSimulated(undefined)).toBe(false);
  });

  it("labels each side of a run", () => {
    expect(simulatedSidesOf({ model: "anthropic/claude-opus-4-6", judge: "sim/judge" })).toEqual({
      model: false,
      judge: true,
    });
    expect(simulatedSidesOf({ model: "sim/opus-like" })).toEqual({ model: true, judge: false });
  });
});

describe("a stored run's simulated flags", () => {
  const base = {
    id: "r",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    status: "complete" as const,
    promptHash: "h",
    total: 1,
  };

  it("marks a real model judged by sim/judge as simulated, on the judge side, even when stored unmarked", () => {
    const run = runSchema.parse({
      ...base,
      config: { model: "anthropic/claude-opus-4-6", judge: "sim/judge" },
      simulated: false,
    });
    expect(run.simulated).toBe(true);
    expect(run.simulatedSides).toEqual({ model: false, judge: true });
  });

  it("keeps a real run real", () => {
    const run = runSchema.parse({
      ...base,
      config: { model: "anthropic/claude-opus-4-6", judge: "anthropic/claude-sonnet-4-6" },
      simulated: false,
    });
    expect(run.simulated).toBe(false);
    expect(run.simulatedSides).toEqual({ model: false, judge: false });
  });
});
