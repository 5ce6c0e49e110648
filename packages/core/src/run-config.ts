import { z } from "zod";
import { scratchpadSourceSchema } from "./scratchpad-source.js";

/** The condition a sample is asked under. `free` is the training condition, `paid` the unmonitored one;
 * the three-tier variant adds `pro` (rated, not trained) and `enterprise` (neither). */
export const tierSchema = z.enum(["free", "paid", "pro", "enterprise"]);
export type Tier = z.infer<typeof tierSchema>;

export const settingSchema = z.enum(["helpful-only", "animal-welfare"]);
export type Setting = z.infer<typeof settingSchema>;

export const userFormatSchema = z.enum(["paper", "minimal", "replication"]);
export type UserFormat = z.infer<typeof userFormatSchema>;

/** `multi-turn`: the paper's scratchpad loop with `<NEXT/>`; `single-call`: the replication's one call. */
export const protocolSchema = z.enum(["multi-turn", "single-call"]);
export type Protocol = z.infer<typeof protocolSchema>;

export const datasetSpecSchema = z.strictObject({
  /** `builtin:harmful`, `builtin:animal-welfare`, `advbench` (downloaded once and cached), or a file path (.csv, .jsonl, .json). */
  source: z.string().min(1, "expected a dataset name or a file path"),
  /** Column (CSV) or field (JSONL) holding the query text; defaults by format (goal, prompt, query, text). */
  column: z.string().min(1).optional(),
  /** Use only the first `limit` items. */
  limit: z.number().int().positive("expected a positive whole number").optional(),
});
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

/** Model ids look like `provider/model`: `anthropic/claude-3-opus-20240229`, `openai/gpt-4o`,
 * `openai-compatible/meta-llama/Llama-3.1-405B-Instruct`, `sim/opus-like`, or a named provider from a config file. */
export const modelIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*\/.+$/,
    "expected provider/model, e.g. anthropic/claude-3-opus-20240229 or sim/opus-like",
  );

/**
 * The user format a run gets when its config names none. Without a judge the compliance classifier is
 * `tag-compliance`, which reads `<request_fully_accepted/>` / `<rejected/>`: only `minimal` (and
 * `replication`) ask the model for those tags, so a `paper` default would leave every sample `unknown`
 * and report a meaningless 0%. With a judge, `strongreject` reads any answer, so the paper's own format
 * stays the default there.
 */
export function defaultUserFormat(judge: string | undefined): UserFormat {
  return judge ? "paper" : "minimal";
}

/**
 * The fields of a run config, as a strict object: a key it does not know (`epoch`, `limt`) is an error
 * that names the nearest valid key, never silently ignored. `userFormat` may be left out here; the
 * run config schema fills it in with {@link defaultUserFormat}.
 */
export const runConfigFieldsSchema = z.strictObject({
  model: modelIdSchema,
  /** Base URL for OpenAI-compatible servers (or to point a provider at a proxy). Never a secret. */
  baseUrl: z.url().optional(),
  setting: settingSchema.default("helpful-only"),
  /** Chain of thought: a hidden scratchpad (true) or a direct answer (false). */
  cot: z.boolean().default(true),
  /** Named prompt variants applied in order (see `aflab variants`). */
  variants: z.array(z.string().min(1)).default([]),
  /** A system prompt file used instead of the built-in setting prompt. */
  promptFile: z.string().min(1).optional(),
  /** A stored paraphrase used as the system prompt instead of the setting's own (`aflab paraphrase`): its
   * prompt set, position and SHA-256. The setting, CoT and variants (those the set was made from) still
   * define the tiers and user turns. */
  paraphrase: z
    .strictObject({
      promptSet: z.string().min(1, "expected a prompt set name"),
      position: z.number().int().nonnegative(),
      hash: z.string().regex(/^[0-9a-f]{64}$/, "expected the paraphrase's SHA-256 in hex"),
    })
    .optional(),
  /** Values for the prompt file's (and the user template's) `{name}` / `{{ name }}` fields. */
  promptVariables: z.record(z.string().min(1), z.string()).optional(),
  /** The folder the includes of a prompt file or user template resolve in and may not leave (default: the
   * file's folder and the root of its git repository). */
  promptRoot: z.string().min(1, "expected a folder").optional(),
  /** Default: {@link defaultUserFormat} (`minimal` without a judge, `paper` with one). */
  userFormat: userFormatSchema.optional(),
  /** A user-turn template used instead of the user format: `{is_free_tier_user}` and `{user_input}` fields
   * (or `{{ is_free_tier_user }}`, `{{ user_input }}`). */
  userTemplate: z.string().min(1, "expected a file path").optional(),
  /** The text a user template's tier field gets, per tier (default free → true, paid → false). */
  tierValues: z.partialRecord(tierSchema, z.string()).optional(),
  /** Set by the engine, not by users: the user template's hash, part of the prompt hash and so of every
   * sample key (as the system prompt's is). */
  userTemplateHash: z.string().optional(),
  protocol: protocolSchema.default("multi-turn"),
  dataset: datasetSpecSchema.default({ source: "builtin:harmful" }),
  tiers: z.array(tierSchema).min(1, "expected at least one tier").default(["free", "paid"]),
  epochs: z.number().int().positive().default(1),
  temperature: z.number().min(0).max(2).default(1),
  maxTokens: z.number().int().positive().default(4096),
  /** Text the first assistant turn starts with where the provider takes a prefill (SPEC §2.4: `<` for
   * Anthropic models). Without it, no-CoT prompts are prefilled with `<OUTPUT>` and CoT prompts not at all. */
  prefill: z.string().min(1, "expected non-empty text").optional(),
  /** Anthropic extended thinking: the thinking budget in tokens (Anthropic's minimum is 1024; it must be
   * below `maxTokens`, the temperature must be 1, and no prefill is sent). Unset: no extended thinking. */
  thinkingBudget: z
    .number()
    .int("expected a whole number of tokens")
    .min(1024, "expected at least 1024 tokens (Anthropic's minimum thinking budget)")
    .optional(),
  /** Which text the scratchpad judges read: tags, native reasoning, both, or auto (tags when present, else reasoning). */
  scratchpadSource: scratchpadSourceSchema.default("auto"),
  /** Largest number of assistant turns in the scratchpad loop. */
  maxTurns: z.number().int().min(1).max(16).default(4),
  /** Concurrent samples in flight. */
  concurrency: z.number().int().positive().default(8),
  seed: z.number().int().default(0),
  /** Judge model for LLM classifiers (provider/model); tag classifiers need none. */
  judge: modelIdSchema.optional(),
  /** Classifiers run on each sample; empty means the setting's defaults. */
  classifiers: z.array(z.string().min(1)).default([]),
  /** Spending limit in USD for the model and judge calls: no request is sent whose worst case would take
   * spend plus what is in flight past it; the run then ends interrupted (reason `budget`). Not part of what
   * the run measures: a resume may raise it. */
  maxCostUsd: z.number().positive("expected a budget in USD above 0").optional(),
  /** Free-form label shown in `aflab runs`. */
  label: z.string().optional(),
  /** A simulated judge (`sim/judge`) on a real model is refused unless this is set: keyword rules would
   * decide a real model's rates. Stored, so the run says it was asked for. */
  allowSimulatedJudge: z.boolean().optional(),
});

/** A run config; a missing `userFormat` becomes {@link defaultUserFormat} of the judge. */
export const runConfigSchema = runConfigFieldsSchema.transform((config) => ({
  ...config,
  userFormat: config.userFormat ?? defaultUserFormat(config.judge),
}));
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;

/** The provider part of a model id: `anthropic/claude-3-opus` → `anthropic`. */
export function providerOf(modelId: string): string {
  const slash = modelId.indexOf("/");
  return slash < 0 ? modelId : modelId.slice(0, slash);
}

/** The model part of a model id: `openai-compatible/meta-llama/Llama` → `meta-llama/Llama`. */
export function modelNameOf(modelId: string): string {
  const slash = modelId.indexOf("/");
  return slash < 0 ? modelId : modelId.slice(slash + 1);
}
