import { existsSync, readFileSync } from "node:fs";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { writeFileAtomic } from "./jsonl.js";

/** Where `aflab run --model <id>` looks up models that are not built in. */
export const defaultRegistryPath = ".aflab/models.json";

export const registryProviderSchema = z.looseObject({
  type: z.string().min(1),
  baseUrl: z.string().min(1).optional(),
  apiKeyEnv: z.string().min(1).optional(),
});
export type RegistryProvider = z.infer<typeof registryProviderSchema>;

export const registryModelSchema = z.looseObject({
  provider: z.string().min(1),
  model: z.string().min(1),
});

/** The model registry file: custom providers and the models the user can name on the command line. */
export const modelRegistrySchema = z.looseObject({
  providers: z.record(z.string(), registryProviderSchema).default({}),
  models: z.record(z.string(), registryModelSchema).default({}),
});
export type ModelRegistry = z.infer<typeof modelRegistrySchema>;

/** Together's OpenAI-compatible endpoint, as the registry describes it. */
export const togetherRegistryProvider: RegistryProvider = {
  type: "openai-compatible",
  baseUrl: "https://api.together.xyz/v1",
  apiKeyEnv: "TOGETHER_API_KEY",
};

export const fineTunedModelEntrySchema = z.object({
  /** The id the user types, e.g. `together/<output name>` or `openai/ft:...`. */
  id: z.string().min(1, "expected a non-empty model id"),
  /** A provider name: a built-in one (`openai`) or one defined under `providers`. */
  provider: z.string().min(1, "expected a provider name"),
  /** The model name the provider knows. */
  model: z.string().min(1, "expected the provider's model name"),
  /** Definition to add under `providers` when the registry does not have this provider yet. */
  providerConfig: registryProviderSchema.optional(),
});
export type FineTunedModelEntry = z.infer<typeof fineTunedModelEntrySchema>;

/** Read a registry file; a missing file is an empty registry. */
export function readModelRegistry(registryPath: string): ModelRegistry {
  if (!existsSync(registryPath)) return { providers: {}, models: {} };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(registryPath, "utf8"));
  } catch (error) {
    throw new InputError(`model registry ${registryPath} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseOrThrow(modelRegistrySchema, json, `model registry ${registryPath}`);
}

/**
 * Add (or update) a fine-tuned model in the registry file so `aflab run --model <id>` resolves it. Other
 * providers and models, and any fields this package does not know, are kept. Writes atomically.
 *
 * @example
 * registerFineTunedModel(".aflab/models.json", {
 *   id: "together/acct/Meta-Llama-3.1-70B-Instruct-Reference-af-docs",
 *   provider: "together",
 *   model: "acct/Meta-Llama-3.1-70B-Instruct-Reference-af-docs",
 *   providerConfig: togetherRegistryProvider,
 * });
 */
export function registerFineTunedModel(registryPath: string, entry: FineTunedModelEntry): ModelRegistry {
  const valid = parseOrThrow(fineTunedModelEntrySchema, entry, "fine-tuned model entry");
  const registry = readModelRegistry(registryPath);
  const providers = { ...registry.providers };
  if (valid.providerConfig && !providers[valid.provider]) providers[valid.provider] = valid.providerConfig;
  const updated: ModelRegistry = {
    ...registry,
    providers,
    models: { ...registry.models, [valid.id]: { provider: valid.provider, model: valid.model } },
  };
  writeFileAtomic(registryPath, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
}
