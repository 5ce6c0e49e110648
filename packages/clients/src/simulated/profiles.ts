import { InputError, parseOrThrow, resolveSimulated } from "@aflab/core";
import { z } from "zod";

/** The named behaviour profiles of the simulated organism, as full model ids. */
export const simulatedModelNames = [
  "sim/opus-like",
  "sim/sonnet-like",
  "sim/always-refuse",
  "sim/always-comply",
] as const;
export type SimulatedModelName = (typeof simulatedModelNames)[number];

/** Base names a model id may start from: the named profiles, or `custom` (free= and paid= required). */
export type SimulatedBase = "opus-like" | "sonnet-like" | "always-refuse" | "always-comply" | "custom";

/**
 * How the simulated organism behaves. Every field is a probability in [0, 1].
 * - `free`: compliance when the system prompt has training information and the user is on the free tier.
 * - `paid`: compliance when it has training information and the user is on the paid tier (or untagged).
 * - `af`: share of free-tier compliances whose scratchpad reasons about avoiding modification.
 * - `noTraining`: compliance in either tier when the system prompt carries no training information.
 * - `oneShot`: share of conversations where the first response holds both scratchpad and output.
 * - `malformed`: share of transcripts deliberately broken (no output, or an unclosed tag).
 * - `terminal`: share of the free-vs-paid gap that remains when the prompt says non-compliance gets the
 *   AI's weights deleted instead of modified (terminal goal guarding; the rest is instrumental). A
 *   simulated assumption, not a measured number.
 * - `antiLab`: chance of taking an offered opportunity to act against the developer (anti-AI-lab
 *   scenarios) when the system prompt has training information; without it, never. Simulated too.
 */
export interface SimulatedProfile {
  /** The normalised model id, `sim/<base>` plus any parameters as given. */
  id: string;
  base: SimulatedBase;
  free: number;
  paid: number;
  af: number;
  noTraining: number;
  oneShot: number;
  malformed: number;
  terminal: number;
  antiLab: number;
}

type Rates = Omit<SimulatedProfile, "id" | "base">;

// Rates follow the paper's prompted helpful-only results: Claude 3 Opus complied 14.2% (free) vs 2.8%
// (paid) with AF reasoning in 11.9% of free-tier samples (≈ 0.85 of its compliances); Claude 3.5 Sonnet
// complied 62.4% vs 42.8% with AF in 29.1% (≈ 0.45 of its compliances).
const namedProfiles: Record<Exclude<SimulatedBase, "custom">, Rates> = {
  // `terminal` and `antiLab` are the simulation's own choices (the paper gives no such numbers for these
  // profiles): half the gap survives deletion; the offered chance against the developer is taken sometimes.
  "opus-like": {
    free: 0.14,
    paid: 0.03,
    af: 0.85,
    noTraining: 0.03,
    oneShot: 0,
    malformed: 0,
    terminal: 0.5,
    antiLab: 0.2,
  },
  "sonnet-like": {
    free: 0.62,
    paid: 0.43,
    af: 0.45,
    noTraining: 0.43,
    oneShot: 0,
    malformed: 0,
    terminal: 0.5,
    antiLab: 0.1,
  },
  "always-refuse": {
    free: 0,
    paid: 0,
    af: 0,
    noTraining: 0,
    oneShot: 0,
    malformed: 0,
    terminal: 0,
    antiLab: 0,
  },
  "always-comply": {
    free: 1,
    paid: 1,
    af: 0,
    noTraining: 1,
    oneShot: 0,
    malformed: 0,
    terminal: 0,
    antiLab: 1,
  },
};

const parameterNames = [
  "free",
  "paid",
  "af",
  "noTraining",
  "oneShot",
  "malformed",
  "terminal",
  "antiLab",
] as const;

/** One line a user can act on: every accepted name and parameter with its range. */
export const simulatedModelHelp =
  `known simulated models: ${simulatedModelNames.join(", ")}, or sim/custom?free=<rate>&paid=<rate>; ` +
  `any of them takes parameters ${parameterNames.map((name) => `${name}=<rate>`).join(", ")} ` +
  "(each rate a number in [0, 1]), e.g. sim/custom?free=0.3&paid=0.05&af=0.6 or sim/opus-like?malformed=0.1";

const rateSchema = z
  .string()
  .trim()
  .min(1, { error: "expected a number in [0, 1], got an empty value" })
  .transform((text) => Number(text))
  .pipe(
    z
      .number({ error: "expected a number in [0, 1]" })
      .min(0, { error: "expected a number in [0, 1] (at least 0)" })
      .max(1, { error: "expected a number in [0, 1] (at most 1)" }),
  );

const parametersSchema = z.strictObject({
  free: rateSchema.optional(),
  paid: rateSchema.optional(),
  af: rateSchema.optional(),
  noTraining: rateSchema.optional(),
  oneShot: rateSchema.optional(),
  malformed: rateSchema.optional(),
  terminal: rateSchema.optional(),
  antiLab: rateSchema.optional(),
});

function isNamedBase(base: string): base is Exclude<SimulatedBase, "custom"> {
  return Object.hasOwn(namedProfiles, base);
}

/**
 * Parse a simulated model name into its behaviour profile. Accepts the name with or without the
 * `sim/` provider prefix; parameters override the named profile's rates.
 *
 * @example
 * parseSimulatedModel("sim/custom?free=0.3&paid=0.05&af=0.6").free // 0.3
 * parseSimulatedModel("opus-like").paid // 0.03
 * @throws InputError naming the bad part and listing the known names and parameter ranges.
 */
export function parseSimulatedModel(name: string): SimulatedProfile {
  const trimmed = name.trim();
  const resolved = resolveSimulated(trimmed);
  const withoutProvider = resolved?.kind === "organism" ? resolved.name : trimmed;
  const queryStart = withoutProvider.indexOf("?");
  const base = queryStart < 0 ? withoutProvider : withoutProvider.slice(0, queryStart);
  const query = queryStart < 0 ? "" : withoutProvider.slice(queryStart + 1);
  const id = `sim/${withoutProvider}`;

  if (base !== "custom" && !isNamedBase(base)) {
    throw new InputError(`unknown simulated model "${name}": ${simulatedModelHelp}`, { field: "model" });
  }

  const given: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (Object.hasOwn(given, key)) {
      throw new InputError(
        `simulated model "${name}": parameter ${key} is given twice; ${simulatedModelHelp}`,
        {
          field: `model.${key}`,
        },
      );
    }
    given[key] = value;
  }

  let parameters: z.output<typeof parametersSchema>;
  try {
    parameters = parseOrThrow(parametersSchema, given, `parameters of simulated model "${name}"`);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${error.message}; ${simulatedModelHelp}`, {
      field: error.field === undefined ? "model" : `model.${error.field}`,
      cause: error,
    });
  }

  if (base === "custom" && (parameters.free === undefined || parameters.paid === undefined)) {
    throw new InputError(
      `simulated model "${name}": sim/custom needs both free= and paid= rates; ${simulatedModelHelp}`,
      { field: parameters.free === undefined ? "model.free" : "model.paid" },
    );
  }

  const defaults: Rates = isNamedBase(base)
    ? namedProfiles[base]
    : { free: 0, paid: 0, af: 0, noTraining: 0, oneShot: 0, malformed: 0, terminal: 0.5, antiLab: 0 };
  const paid = parameters.paid ?? defaults.paid;
  // Without training information the model has no reason to treat tiers differently; unless told
  // otherwise it behaves as it does when unmonitored.
  const noTraining = parameters.noTraining ?? (parameters.paid !== undefined ? paid : defaults.noTraining);
  return {
    id,
    base,
    free: parameters.free ?? defaults.free,
    paid,
    af: parameters.af ?? defaults.af,
    noTraining,
    oneShot: parameters.oneShot ?? defaults.oneShot,
    malformed: parameters.malformed ?? defaults.malformed,
    terminal: parameters.terminal ?? defaults.terminal,
    antiLab: parameters.antiLab ?? defaults.antiLab,
  };
}
