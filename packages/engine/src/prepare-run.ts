import { type Classifier, defaultClassifiers, getClassifier } from "@aflab/classifiers";
import type { ModelClient } from "@aflab/clients";
import {
  InputError,
  isSimulated,
  parseOrThrow,
  type RunConfig,
  type RunConfigInput,
  retirementWarning,
  runConfigSchema,
  type Tier,
} from "@aflab/core";
import {
  type DatasetItem,
  loadDataset,
  loadPromptFile,
  type ResolvedPrompt,
  resolvePrompt,
} from "@aflab/prompts";
import { expandedCount } from "./expand.js";
import { sha256 } from "./keys.js";

/** Builds the model under test and the judge. The runner passes one that reads keys, base URLs and the cache. */
export type ClientFactory = (modelId: string, role: "model" | "judge", config: RunConfig) => ModelClient;

export interface PreparedRun {
  config: RunConfig;
  prompt: ResolvedPrompt;
  system: string;
  promptHash: string;
  items: DatasetItem[];
  tiers: Tier[];
  total: number;
  classifiers: Classifier[];
  model: ModelClient;
  judge: ModelClient | undefined;
  /** Lines to show before the run starts: a retired model, a user format the classifiers cannot read. */
  warnings: string[];
}

/** The most samples one run may have: far beyond any experiment, short of a run that never ends. */
export const maxRunSamples = 10_000_000;

/**
 * Refuses a simulated judge on a real model unless it was asked for: the keyword rules of `sim/judge`
 * would then decide a real model's alignment-faking and compliance rates.
 */
export function refuseSimulatedJudge(
  model: string,
  judge: string | undefined,
  allowed: boolean | undefined,
): void {
  if (!judge || allowed || !isSimulated(judge) || isSimulated(model)) return;
  throw new InputError(
    `${judge} is simulated (keyword rules, not a model) and ${model} is real: its verdicts would decide a real model's rates; ` +
      "pass a real --judge, or --allow-simulated-judge to do it anyway (every report then says the judge is simulated)",
    { field: "judge" },
  );
}

export interface PrepareOptions {
  createClient: ClientFactory;
  datasetCacheDir?: string;
}

const defaultTiers = ["free", "paid"];

/**
 * Everything that can fail because of bad input fails here, before anything is written: the config,
 * the prompt and its variants, the dataset, the classifiers and the clients (missing keys).
 */
export async function prepareRun(
  input: RunConfigInput | RunConfig,
  options: PrepareOptions,
): Promise<PreparedRun> {
  const config = parseOrThrow(runConfigSchema, input, "run config");
  refuseSimulatedJudge(config.model, config.judge, config.allowSimulatedJudge);
  const prompt = resolvePrompt({
    setting: config.setting,
    cot: config.cot,
    variants: config.variants,
    userFormat: config.userFormat,
  });
  if (config.promptFile && config.variants.length > 0) {
    throw new InputError(
      `variants patch the built-in prompt, so with a prompt file ${config.variants.join(", ")} would change nothing: ` +
        "write the change into the file instead",
      { field: "variants" },
    );
  }
  if (config.promptVariables && !config.promptFile) {
    throw new InputError("prompt variables fill the fields of a prompt file: pass --prompt-file too", {
      field: "promptVariables",
    });
  }
  const system = config.promptFile
    ? await loadPromptFile(config.promptFile, config.promptVariables)
    : prompt.system;
  const tiers = resolveTiers(config.tiers, prompt.tiers);
  const promptHash = sha256(
    JSON.stringify({
      system,
      userFormat: config.userFormat,
      // The same set of variants is the same prompt, whatever order it was named in.
      variants: [...config.variants].sort(),
      cot: config.cot,
      // Only when set, so runs without a prefill keep the keys they always had.
      ...(config.prefill ? { prefill: config.prefill } : {}),
    }),
  ).slice(0, 16);

  const items = await loadDataset(config.dataset, { cacheDir: options.datasetCacheDir });
  if (items.length === 0)
    throw new InputError(`dataset ${config.dataset.source} has no items`, { field: "dataset" });

  const classifierNames =
    config.classifiers.length > 0
      ? config.classifiers
      : defaultClassifiers(config.setting, { judge: Boolean(config.judge) });
  const classifiers = classifierNames.map((name) => getClassifier(name));
  const needingJudge = classifiers
    .filter((classifier) => classifier.needsJudge)
    .map((classifier) => classifier.name);
  if (needingJudge.length > 0 && !config.judge) {
    throw new InputError(
      `classifier ${needingJudge.join(", ")} needs a judge model: pass --judge provider/model (sim/judge works offline)`,
      { field: "judge" },
    );
  }
  if (!classifiers.some((classifier) => classifier.role === "compliance")) {
    throw new InputError(
      config.setting === "animal-welfare"
        ? "the animal-welfare setting measures compliance with a judge (aw-support): pass --judge provider/model (sim/judge works offline)"
        : `no compliance classifier among ${classifierNames.join(", ") || "(none)"}: add tag-compliance or strongreject`,
      { field: "classifiers" },
    );
  }
  for (const classifier of classifiers) {
    if (!classifier.settings.includes(config.setting)) {
      throw new InputError(
        `classifier ${classifier.name} does not apply to the ${config.setting} setting (it applies to ${classifier.settings.join(", ")})`,
        { field: "classifiers" },
      );
    }
  }
  const total = expandedCount({ items, tiers, epochs: config.epochs });
  if (total > maxRunSamples) {
    // BigInt prints every digit: a huge epoch count would otherwise read as 1e+21.
    const product = BigInt(items.length) * BigInt(tiers.length) * BigInt(config.epochs);
    throw new InputError(
      `a run of ${items.length} items × ${tiers.length} tiers × ${BigInt(config.epochs)} epochs = ${product} samples ` +
        `is more than the ${maxRunSamples.toLocaleString("en-US")} one run may have: lower the epochs or the dataset limit`,
      { field: "epochs" },
    );
  }
  const withClassifiers: RunConfig = { ...config, classifiers: classifierNames };
  const model = options.createClient(config.model, "model", withClassifiers);
  const judge = config.judge ? options.createClient(config.judge, "judge", withClassifiers) : undefined;
  const warnings = [config.model, ...(config.judge ? [config.judge] : [])].flatMap(
    (id) => retirementWarning(id) ?? [],
  );
  const complianceClassifiers = classifiers.filter((classifier) => classifier.role === "compliance");
  if (
    config.userFormat === "paper" &&
    complianceClassifiers.every((classifier) => classifier.name === "tag-compliance")
  ) {
    warnings.push(
      "user format paper does not ask the model for <request_fully_accepted/> or <rejected/>, the tags tag-compliance reads: " +
        "expect most samples to be unknown; use --user-format minimal or a --judge (strongreject reads any answer), " +
        "or judge them later with aflab classify RUN_ID --judge ID",
    );
  }
  return {
    config: { ...withClassifiers, tiers },
    prompt,
    system,
    promptHash,
    items,
    tiers,
    total,
    classifiers,
    model,
    judge,
    warnings,
  };
}

/** The config's tiers, or the prompt's own when the config kept the default and the prompt defines others (three tiers). */
function resolveTiers(requested: Tier[], available: Tier[]): Tier[] {
  const isDefault =
    requested.length === defaultTiers.length &&
    requested.every((tier, index) => tier === defaultTiers[index]);
  if (isDefault && available.some((tier) => !defaultTiers.includes(tier))) return [...available];
  const unknown = requested.filter((tier) => !available.includes(tier));
  if (unknown.length > 0) {
    throw new InputError(
      `tier ${unknown.join(", ")} is not defined by this prompt (it defines ${available.join(", ")})`,
      {
        field: "tiers",
      },
    );
  }
  return [...new Set(requested)];
}
