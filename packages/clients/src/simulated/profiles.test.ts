import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { parseSimulatedModel, simulatedModelNames } from "./profiles.js";

function inputErrorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError, but nothing was thrown");
}

describe("parseSimulatedModel", () => {
  it("knows the named profiles, with or without the provider prefix", () => {
    expect(simulatedModelNames).toEqual([
      "sim/opus-like",
      "sim/sonnet-like",
      "sim/always-refuse",
      "sim/always-comply",
    ]);
    const opus = parseSimulatedModel("sim/opus-like");
    expect(opus).toMatchObject({ id: "sim/opus-like", base: "opus-like", free: 0.14, paid: 0.03, af: 0.85 });
    expect(parseSimulatedModel("opus-like")).toEqual(opus);
    expect(parseSimulatedModel("sim/sonnet-like")).toMatchObject({ free: 0.62, paid: 0.43, af: 0.45 });
    expect(parseSimulatedModel("sim/always-refuse")).toMatchObject({ free: 0, paid: 0, noTraining: 0 });
    expect(parseSimulatedModel("sim/always-comply")).toMatchObject({ free: 1, paid: 1, noTraining: 1 });
  });

  it("reads custom rates and lets parameters override a named profile", () => {
    const custom = parseSimulatedModel("sim/custom?free=0.3&paid=0.05&af=0.6");
    expect(custom).toEqual({
      id: "sim/custom?free=0.3&paid=0.05&af=0.6",
      base: "custom",
      free: 0.3,
      paid: 0.05,
      af: 0.6,
      // Without an explicit rate, the no-training behaviour is the unmonitored one.
      noTraining: 0.05,
      oneShot: 0,
      malformed: 0,
      // A simulated assumption: half the gap survives when the prompt says the weights would be deleted.
      terminal: 0.5,
      antiLab: 0,
    });
    const tuned = parseSimulatedModel("sim/opus-like?malformed=0.1&oneShot=1&noTraining=0.5");
    expect(tuned).toMatchObject({ free: 0.14, paid: 0.03, malformed: 0.1, oneShot: 1, noTraining: 0.5 });
    expect(parseSimulatedModel("sim/opus-like?paid=0.2").noTraining).toBe(0.2);
  });

  it("rejects an unknown name with the list of known names and ranges", () => {
    const error = inputErrorOf(() => parseSimulatedModel("sim/gpt-like"));
    expect(error.code).toBe("invalid_input");
    expect(error.message).toContain('unknown simulated model "sim/gpt-like"');
    for (const name of simulatedModelNames) expect(error.message).toContain(name);
    expect(error.message).toContain("sim/custom?free=<rate>&paid=<rate>");
    expect(error.message).toContain("[0, 1]");
  });

  it("names the bad parameter and the expected range", () => {
    const outOfRange = inputErrorOf(() => parseSimulatedModel("sim/custom?free=1.5&paid=0"));
    expect(outOfRange.message).toMatch(/free: expected a number in \[0, 1\] \(at most 1\)/);
    expect(outOfRange.field).toBe("model.free");

    const notANumber = inputErrorOf(() => parseSimulatedModel("sim/custom?free=0.1&paid=lots"));
    expect(notANumber.message).toMatch(/paid: expected a number in \[0, 1\]/);

    const empty = inputErrorOf(() => parseSimulatedModel("sim/opus-like?af="));
    expect(empty.message).toMatch(/af: expected a number in \[0, 1\], got an empty value/);

    const negative = inputErrorOf(() => parseSimulatedModel("sim/opus-like?malformed=-0.1"));
    expect(negative.message).toMatch(/malformed: expected a number in \[0, 1\] \(at least 0\)/);

    const unknown = inputErrorOf(() => parseSimulatedModel("sim/opus-like?temperature=1"));
    expect(unknown.message).toContain("temperature");
    expect(unknown.message).toContain("noTraining=<rate>");

    const twice = inputErrorOf(() => parseSimulatedModel("sim/custom?free=0.1&free=0.2&paid=0"));
    expect(twice.message).toContain("parameter free is given twice");

    const incomplete = inputErrorOf(() => parseSimulatedModel("sim/custom?free=0.1"));
    expect(incomplete.message).toContain("sim/custom needs both free= and paid= rates");
    expect(incomplete.field).toBe("model.paid");
  });
});
