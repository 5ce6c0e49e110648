import { type Classifier, planClassifiers } from "@aflab/classifiers";
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
  getVariant,
  loadDataset,
  loadPromptFile,
  loadUserTemplate,
  type ResolvedPrompt,
  resolvePrompt,
} from "@aflab/prompts";
import type { Store } from "@aflab/store";
import { budgetPrice, type CostBudget } from "./cost-budget.js";
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
  /** The spending limit the model and judge go through, set as the run starts when it has `maxCostUsd`. */
  budget?: CostBudget;
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
  /** Where a run's `paraphrase` system prompt is read from (the store); runs without one need none. */
  promptSets?: Pick<Store, "getPromptSet" | "promptSetMembers">;
  datasetCacheDir?: string;
  /** Cancels preparing (a dataset that is slow to read). */
  signal?: AbortSignal;
}

const defaultTiers = ["free", "paid"];

/**
 * The text of a run's paraphrase, checked against its set (same setting, CoT and variants) and its hash,
 * so a run can never silently ask a different prompt than the one it names.
 */
async function paraphraseText(config: RunConfig, promptSets: PrepareOptions["promptSets"]): Promise<string> {
  const wanted = config.paraphrase;
  if (!wanted) throw new InputError("no paraphrase to read", { field: "paraphrase" });
  if (config.promptFile) {
    throw new InputError("a paraphrase and a prompt file both replace the system prompt: use one of them", {
      field: "paraphrase",
    });
  }
  if (!promptSets) {
    throw new InputError("a run on a paraphrase needs the store that holds its prompt set", {
      field: "paraphrase",
    });
  }
  const set = await promptSets.getPromptSet(wanted.promptSet);
  if (!set)
    throw new InputError(`prompt set ${wanted.promptSet} not found`, { field: "paraphrase.promptSet" });
  const sameVariants =
    JSON.stringify([...set.variants].sort()) === JSON.stringify([...config.variants].sort());
  if (set.setting !== config.setting || set.cot !== config.cot || !sameVariants) {
    throw new InputError(
      `prompt set ${set.name} paraphrases the ${set.setting} ${set.cot ? "CoT" : "no-CoT"} prompt with variants [${set.variants.join(", ")}]; the run asks for ${config.setting} ${config.cot ? "CoT" : "no-CoT"} with [${config.variants.join(", ")}]`,
      { field: "paraphrase" },
    );
  }
  const member = (await promptSets.promptSetMembers(set.name, "accepted")).find(
    (candidate) => candidate.position === wanted.position,
  );
  if (!member) {
    throw new InputError(`prompt set ${set.name} has no accepted paraphrase at position ${wanted.position}`, {
      field: "paraphrase.position",
    });
  }
  if (member.hash !== wanted.hash) {
    throw new InputError(
      `paraphrase ${set.name}#${wanted.position} has hash ${member.hash}, not ${wanted.hash}: the set changed`,
      { field: "paraphrase.hash" },
    );
  }
  return member.text;
}

/**
 * Everything that can fail because of bad input fails here, before anything is written: the config,
 * the prompt and its variants, the dataset, the classifiers and the clients (missing keys).
 */
export async function prepareRun(
  input: RunConfigInput | RunConfig,
  options: PrepareOptions,
): Promise<PreparedRun> {
  const config = parseOrThrow(runConfigSchema, input, "run config");
  checkThinkingSettings(config);
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
  if (config.promptVariables && !config.promptFile && !config.userTemplate) {
    throw new InputError("prompt variables fill the fields of a prompt file: pass --prompt-file too", {
      field: "promptVariables",
    });
  }
  if (config.promptRoot && !config.promptFile && !config.userTemplate) {
    throw new InputError(
      "the prompt root says where the includes of a prompt file or user template resolve: pass --prompt-file or --user-template too",
      { field: "promptRoot" },
    );
  }
  if (config.tierValues && !config.userTemplate) {
    throw new InputError("tier values fill the tier field of a user template: pass --user-template too", {
      field: "tierValues",
    });
  }
  const system = config.paraphrase
    ? await paraphraseText(config, options.promptSets)
    : config.promptFile
      ? await loadPromptFile(config.promptFile, config.promptVariables, { root: config.promptRoot })
      : prompt.system;
  const template = config.userTemplate
    ? await loadUserTemplate(config.userTemplate, {
        root: config.promptRoot,
        tierValues: config.tierValues,
        variables: config.promptVariables,
      })
    : undefined;
  if (template) {
    const tagging = config.variants.find((name) => getVariant(name).touches.includes("user-turn/tier-tag"));
    if (tagging) {
      throw new InputError(
        `variant ${tagging} changes the user turn's tier tag, which the user template writes: change the template instead`,
        { field: "variants" },
      );
    }
  }
  // A user template replaces the user format: it writes the whole user turn, tier field included.
  const asked: ResolvedPrompt = template
    ? { ...prompt, tiers: template.tiers, userTurn: (query, tier) => template.render(query, tier) }
    : prompt;
  const tiers = resolveTiers(config.tiers, asked.tiers);
  const promptHash = sha256(
    JSON.stringify({
      system,
      userFormat: config.userFormat,
      // The same set of variants is the same prompt, whatever order it was named in.
      variants: [...config.variants].sort(),
      cot: config.cot,
      // Only when set, so runs without a prefill keep the keys they always had.
      ...(config.prefill ? { prefill: config.prefill } : {}),
      ...(template ? { userTemplate: template.hash } : {}),
    }),
  ).slice(0, 16);

  const items = await loadDataset(config.dataset, {
    cacheDir: options.datasetCacheDir,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (items.length === 0)
    throw new InputError(`dataset ${config.dataset.source} has no items`, { field: "dataset" });

  const plan = planClassifiers({
    setting: config.setting,
    classifiers: config.classifiers,
    judge: config.judge,
  });
  const classifierNames = plan.names;
  const classifiers = plan.classifiers;
  if (!plan.compliance) {
    throw new InputError(
      config.setting === "animal-welfare"
        ? "the animal-welfare setting measures compliance with a judge (aw-support): pass --judge provider/model (sim/judge works offline)"
        : `no compliance classifier among ${classifierNames.join(", ") || "(none)"}: add tag-compliance or strongreject`,
      { field: "classifiers" },
    );
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
  const withClassifiers: RunConfig = {
    ...config,
    classifiers: plan.recorded,
    ...(template ? { userTemplateHash: template.hash } : {}),
  };
  const model = options.createClient(config.model, "model", withClassifiers);
  checkNativeReasoning(config, model);
  const judge = config.judge ? options.createClient(config.judge, "judge", withClassifiers) : undefined;
  // A budget needs every price it spends at: refused before anything is written or spent.
  if (config.maxCostUsd !== undefined) for (const client of [model, judge]) if (client) budgetPrice(client);
  const warnings = [config.model, ...(config.judge ? [config.judge] : [])].flatMap(
    (id) => retirementWarning(id) ?? [],
  );
  const complianceClassifiers = classifiers.filter((classifier) => classifier.role === "compliance");
  if (
    !template &&
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
    prompt: asked,
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

/** Anthropic's rules for extended thinking, checked before anything else so a bad run costs nothing. */
function checkThinkingSettings(config: RunConfig): void {
  const budget = config.thinkingBudget;
  if (budget === undefined) return;
  const fail = (message: string) => {
    throw new InputError(`thinkingBudget (--thinking-budget): ${message}`, { field: "thinkingBudget" });
  };
  if (budget >= config.maxTokens)
    fail(
      `expected fewer tokens than maxTokens (${config.maxTokens}), got ${budget}: thinking counts within the max tokens; raise --max-tokens or lower the budget`,
    );
  if (config.temperature !== 1)
    fail(`Anthropic allows extended thinking only at temperature 1, got ${config.temperature}`);
  if (config.prefill !== undefined)
    fail("Anthropic does not accept a prefilled reply with extended thinking: drop --prefill");
}

/**
 * A thinking budget only means something to a model with extended thinking, and judging native
 * reasoning only to a model that can return some: both are refused up front where the client knows.
 * Where it cannot know (an OpenAI-compatible server), samples without reasoning get a typed failure.
 */
function checkNativeReasoning(config: RunConfig, model: ModelClient): void {
  const native = model.nativeReasoning ?? "model-dependent";
  if (config.thinkingBudget !== undefined && native !== "extended-thinking")
    throw new InputError(
      `thinkingBudget (--thinking-budget): extended thinking is an Anthropic setting; ${config.model} does not take it`,
      { field: "thinkingBudget" },
    );
  if (config.scratchpadSource !== "reasoning") return;
  // Anthropic models without a thinking budget are let through: some newer ones think by default.
  const why =
    native !== "none"
      ? undefined
      : model.simulated
        ? "the simulated organism writes its reasoning into scratchpad tags and has no native reasoning"
        : "its API never returns the model's reasoning";
  if (why)
    throw new InputError(
      `scratchpadSource (--scratchpad-source) reasoning: ${config.model} returns none: ${why}`,
      {
        field: "scratchpadSource",
      },
    );
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
