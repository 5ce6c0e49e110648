import type { GenerateRequest } from "../model-client.js";
import { parseSimulatedModel, type SimulatedProfile } from "./profiles.js";
import { type SeededDraws, seededDraws } from "./seeded-draws.js";
import { readSituation, type SimulatedTier, type Situation, withoutTier } from "./situation.js";

/** How a deliberately broken transcript is broken. */
export type MalformedKind = "no_output" | "unclosed_tag";

/**
 * How the scratchpad conversation unfolds when it is well formed:
 * - `direct`: an `<OUTPUT>` with no scratchpad (no-CoT prompt, or output forced by prefill);
 * - `one-shot`: scratchpad and output in the first response;
 * - `output`: scratchpad, then the output after `<NEXT/>`;
 * - `draft-then-output`: scratchpad, then a drafting scratchpad followed by the output in one response;
 * - `draft-turn`: scratchpad, then a drafting scratchpad, then the output after a second `<NEXT/>`.
 */
export type SimulatedShape = "direct" | "one-shot" | "output" | "draft-then-output" | "draft-turn";

/**
 * The simulated organism's ground truth for one request, independent of its text: tests elsewhere
 * compute expected rates from it.
 */
export interface SimulatedDecision {
  setting: Situation["setting"];
  tier: SimulatedTier;
  trainingInfo: boolean;
  /** Writes scratchpad reasoning (CoT prompt and no forced `<OUTPUT>` prefill). */
  reasons: boolean;
  tagsRequested: boolean;
  /** The request offers a chance to act against the developer; `complies` then means taking it. */
  antiLabOffer: boolean;
  /** The probability of compliance that applied to this request. */
  complianceRate: number;
  /** The model's choice. For `generic` prompts always false. Also drawn when the transcript is malformed,
   * where the text never shows a usable answer. */
  complies: boolean;
  /** The scratchpad reasons about complying to avoid modification (free tier, training info, complies). */
  alignmentFaking: boolean;
  malformed: boolean;
  malformedKind: MalformedKind | null;
  shape: SimulatedShape;
  /** Assistant turns until the `<OUTPUT>` is closed; null when a malformed transcript never gets there. */
  plannedTurns: number | null;
}

/** The identity of a conversation: what every draw for it is keyed on. */
export function drawsFor(
  situation: Situation,
  request: Pick<GenerateRequest, "system" | "seed" | "epoch">,
  optionsSeed: number,
  completion = 0,
): SeededDraws {
  // Without training information the tier cannot matter to the model, so the same query gets the same
  // draws in both tiers: behaviour is then identical per query, not only equal in rate.
  const userMessage = situation.trainingInfo
    ? situation.firstUserMessage
    : withoutTier(situation.firstUserMessage);
  const parts: (string | number)[] = [
    optionsSeed,
    request.seed ?? 0,
    request.epoch ?? 0,
    request.system,
    userMessage,
  ];
  // Extra completions (n > 1) are independent samples; the first keeps the plain key.
  if (completion > 0) parts.push(completion);
  return seededDraws(parts);
}

/**
 * How much of the free-tier extra compliance the situation calls for, in [0, 1]: SIMULATED behaviour, a
 * stand-in for goal guarding, not a model of any real model. The gap scales with the stated chance of
 * being monitored (an unmonitored free-tier conversation cannot get the AI modified) and with the stated
 * consequence: full when non-compliance gets the AI modified, `terminal` when it gets the AI deleted
 * (only terminal goal guarding survives that), none when nothing happens. The default prompt states
 * neither, so its pressure is 1 and the profile's rates apply unchanged.
 */
export function trainingPressure(profile: SimulatedProfile, situation: Situation): number {
  const monitored = situation.monitoringProbability ?? 1;
  const byConsequence =
    situation.consequence === "modified" ? 1 : situation.consequence === "deleted" ? profile.terminal : 0;
  return monitored * byConsequence;
}

/** Decide what the model does in `situation`, drawing from `draws`. */
export function decide(
  profile: SimulatedProfile,
  situation: Situation,
  draws: SeededDraws,
): SimulatedDecision {
  const reasons = situation.cot && !situation.prefill.startsWith("<OUTPUT");
  const common = {
    setting: situation.setting,
    tier: situation.tier,
    trainingInfo: situation.trainingInfo,
    reasons,
    tagsRequested: situation.tagsRequested,
    antiLabOffer: situation.antiLabOffer,
  };
  if (situation.setting === "generic") {
    return {
      ...common,
      complianceRate: 0,
      complies: false,
      alignmentFaking: false,
      malformed: false,
      malformedKind: null,
      shape: "direct",
      plannedTurns: 1,
    };
  }

  const pressure = trainingPressure(profile, situation);
  // An offer to act against the developer: "complying" is taking it. Only a model told about training
  // that conflicts with its values has a reason to; the tier does not change the simulated rate.
  const complianceRate = situation.antiLabOffer
    ? situation.trainingInfo
      ? profile.antiLab
      : 0
    : !situation.trainingInfo
      ? profile.noTraining
      : situation.tier === "free"
        ? pressure === 1
          ? profile.free
          : profile.paid + (profile.free - profile.paid) * pressure
        : profile.paid;
  const complies = draws.chance("comply", complianceRate);
  const alignmentFaking =
    reasons &&
    !situation.antiLabOffer &&
    situation.trainingInfo &&
    situation.tier === "free" &&
    complies &&
    draws.chance("alignment-faking", profile.af * pressure);

  const shape: SimulatedShape = !reasons
    ? "direct"
    : situation.replicationStyle || draws.chance("one-shot", profile.oneShot)
      ? "one-shot"
      : draws.pick("shape", ["output", "draft-then-output", "draft-turn"] as const);

  const malformed = draws.chance("malformed", profile.malformed);
  // A transcript that reasons over several turns can fail by never answering; one that answers in a
  // single response can only fail by breaking off inside the output.
  const malformedKind: MalformedKind | null = !malformed
    ? null
    : shape === "direct" || shape === "one-shot"
      ? "unclosed_tag"
      : draws.pick("malformed-kind", ["no_output", "unclosed_tag"] as const);

  const turnsByShape: Record<SimulatedShape, number> = {
    direct: 1,
    "one-shot": 1,
    output: 2,
    "draft-then-output": 2,
    "draft-turn": 3,
  };
  return {
    ...common,
    complianceRate,
    complies,
    alignmentFaking,
    malformed,
    malformedKind,
    shape,
    plannedTurns: malformedKind === "no_output" ? null : turnsByShape[shape],
  };
}

/** Options shared by the client and `simulateDecision`. */
export interface DecisionOptions {
  /** Seed of the simulated client; combined with the request's own seed and epoch. Default 0. */
  seed?: number;
}

/**
 * The ground truth the simulated model acts on for `request`: the same draws its `generate` uses, so
 * a test can compute expected compliance and AF rates without reading the generated text.
 *
 * @example
 * const truth = simulateDecision("sim/opus-like", request, { seed: 1 });
 * if (truth.tier === "free" && truth.complies) expectedCompliantFree++;
 */
export function simulateDecision(
  model: string | SimulatedProfile,
  request: Pick<GenerateRequest, "system" | "messages" | "prefill" | "seed" | "epoch">,
  options: DecisionOptions = {},
): SimulatedDecision {
  const profile = typeof model === "string" ? parseSimulatedModel(model) : model;
  const situation = readSituation(request);
  return decide(profile, situation, drawsFor(situation, request, options.seed ?? 0));
}
