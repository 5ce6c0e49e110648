import { readFileSync } from "node:fs";
import { InputError, parseOrThrow, resolveSimulated, simulatedProvider } from "@aflab/core";
import { z } from "zod";

export const providerTypeSchema = z.enum(["openai-compatible", "openai", "anthropic"]);
export type ProviderType = z.infer<typeof providerTypeSchema>;

const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One named provider: which wire protocol it speaks, where, and with which key. */
export const providerConfigSchema = z
  .object({
    type: providerTypeSchema,
    /** Required for `openai-compatible`; optional for `openai`/`anthropic` (their public endpoints by default). */
    baseUrl: z.url({ message: "expected an http(s) URL such as http://localhost:8000/v1" }).optional(),
    /** Name of the environment variable holding the key (never the key itself). Omit for servers without keys. */
    apiKeyEnv: z
      .string()
      .regex(envNamePattern, "expected an environment variable name like TOGETHER_API_KEY")
      .optional(),
    maxConnections: z.number().int().positive("expected a positive whole number").optional(),
    /** Whether the server accepts `n` completions per request; otherwise the client sends n requests. */
    supportsN: z.boolean().optional(),
    /** Whether a trailing assistant message is continued (prefill). */
    supportsPrefill: z.boolean().optional(),
  })
  .strict()
  .refine((provider) => provider.type !== "openai-compatible" || provider.baseUrl !== undefined, {
    message: "expected baseUrl for an openai-compatible provider",
    path: ["baseUrl"],
  });
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

/** A model alias: the id as typed (`together/ft-abc`) → a provider name and that provider's model name. */
export const modelAliasSchema = z
  .object({
    provider: z.string().min(1, "expected the name of a provider"),
    model: z.string().min(1, "expected the provider's model name"),
  })
  .strict();
export type ModelAlias = z.infer<typeof modelAliasSchema>;

export const providersConfigSchema = z
  .object({
    providers: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a provider name"),
        providerConfigSchema,
      )
      .default({}),
    models: z.record(z.string().min(1), modelAliasSchema).default({}),
  })
  .strict()
  // `sim/...` ids are the simulated models everywhere: a provider or an alias by that name would make a
  // real endpoint look simulated, or the simulated organism look real.
  .superRefine((config, context) => {
    if (Object.hasOwn(config.providers, simulatedProvider))
      context.addIssue({
        code: "custom",
        path: ["providers", simulatedProvider],
        message: `"${simulatedProvider}" is reserved for the simulated models (sim/opus-like, sim/judge): choose another provider name`,
      });
    for (const id of Object.keys(config.models).filter((alias) => resolveSimulated(alias)))
      context.addIssue({
        code: "custom",
        path: ["models", id],
        message: "sim/... ids are reserved for the simulated models and cannot be aliases of real ones",
      });
  });
export type ProvidersConfig = z.infer<typeof providersConfigSchema>;
export type ProvidersConfigInput = z.input<typeof providersConfigSchema>;

/** A config file to load; `optional: true` means a missing file is skipped instead of an error. */
export interface ProvidersConfigFile {
  path: string;
  optional?: boolean;
}

/**
 * Merges providers configs: later configs win, entry by entry (a provider or alias in a later config
 * replaces the earlier one of the same name). Checks that every alias names a known provider or a
 * built-in one.
 */
export function mergeProvidersConfigs(configs: ProvidersConfigInput[]): ProvidersConfig {
  const merged: ProvidersConfig = { providers: {}, models: {} };
  configs.forEach((config, index) => {
    const parsed = parseOrThrow(providersConfigSchema, config, `providers config #${index + 1}`);
    Object.assign(merged.providers, parsed.providers);
    Object.assign(merged.models, parsed.models);
  });
  const builtins = new Set(["anthropic", "openai", "openai-compatible"]);
  for (const [id, alias] of Object.entries(merged.models)) {
    if (!(alias.provider in merged.providers) && !builtins.has(alias.provider))
      throw new InputError(
        `providers config: models.${id}.provider names "${alias.provider}", which is neither a configured provider nor anthropic, openai or openai-compatible`,
        { field: `models.${id}.provider` },
      );
  }
  return merged;
}

/**
 * Loads and merges providers config files (JSON). Later files win. A plain string path must exist;
 * pass `{ path, optional: true }` for files that may be absent (a user-level default, say).
 *
 * @example
 * const config = loadProvidersConfig([{ path: "~/.aflab/providers.json", optional: true }, "providers.json"]);
 */
export function loadProvidersConfig(paths: ReadonlyArray<string | ProvidersConfigFile>): ProvidersConfig {
  const configs: Array<{ value: ProvidersConfigInput; path: string }> = [];
  for (const entry of paths) {
    const file = typeof entry === "string" ? { path: entry, optional: false } : entry;
    let text: string;
    try {
      text = readFileSync(file.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        if (file.optional) continue;
        throw new InputError(`providers config ${file.path} does not exist`, { field: "providers" });
      }
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InputError(`providers config ${file.path} is not valid JSON: ${(error as Error).message}`, {
        field: "providers",
      });
    }
    configs.push({
      value: parseOrThrow(providersConfigSchema, json, `providers config ${file.path}`),
      path: file.path,
    });
  }
  return mergeProvidersConfigs(configs.map((config) => config.value));
}
