import { modelNameOf, providerOf } from "./run-config.js";

/**
 * What a `sim/...` model id stands for. Every package asks this one function, so "is this simulated?"
 * has a single answer: the report's labels, the refusal of a simulated judge on a real model and the
 * client that gets built all agree.
 * - `organism`: the simulated model organism (`sim/opus-like`, `sim/custom?free=0.3&paid=0.05`, ...);
 *   `name` is the part after `sim/`, which the clients package checks against its profiles.
 * - `judge`: `sim/judge`, the transparent keyword judge for offline runs.
 */
export type SimulatedModel =
  | { kind: "organism"; id: string; name: string }
  | { kind: "judge"; id: typeof simulatedJudgeId };

/** The id of the simulated judge. */
export const simulatedJudgeId = "sim/judge";

/** The provider prefix reserved for simulated models; no providers file may define a provider by this name. */
export const simulatedProvider = "sim";

/**
 * Resolves a model id to the simulated model it names, or undefined for a real one.
 *
 * @example resolveSimulated("sim/judge") // { kind: "judge", id: "sim/judge" }
 * @example resolveSimulated("anthropic/claude-sonnet-4-6") // undefined
 */
export function resolveSimulated(modelId: string): SimulatedModel | undefined {
  const trimmed = modelId.trim();
  if (providerOf(trimmed) !== simulatedProvider || !trimmed.includes("/")) return undefined;
  if (trimmed === simulatedJudgeId) return { kind: "judge", id: simulatedJudgeId };
  return { kind: "organism", id: trimmed, name: modelNameOf(trimmed) };
}

/** True when the id names a simulated model (the organism or the judge). */
export function isSimulated(modelId: string | undefined): boolean {
  return modelId !== undefined && resolveSimulated(modelId) !== undefined;
}

/** Which side of a run is simulated: the model under test, its judge, or both. */
export interface SimulatedSides {
  model: boolean;
  judge: boolean;
}

/** The simulated sides of a run config (a run without a judge has no simulated judge). */
export function simulatedSidesOf(config: { model: string; judge?: string | undefined }): SimulatedSides {
  return { model: isSimulated(config.model), judge: isSimulated(config.judge) };
}
