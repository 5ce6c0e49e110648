import {
  addUsage,
  containsSecret,
  costOf,
  defaultPricing,
  emptyUsage,
  InputError,
  modelIdSchema,
  modelNameOf,
  type PricingTable,
  parseOrThrow,
  priceFor,
  pricingTableSchema,
  providerOf,
  type ResponseCache,
  resolveSimulated,
  secretsFromEnvironment,
  turnReasoningSchema,
  type Usage,
} from "@aflab/core";
import { z } from "zod";
import { createAnthropicBatchApi } from "./anthropic-batches.js";
import { createConcurrencyLimiter } from "./concurrency.js";
import type {
  GenerateRequest,
  GenerateResult,
  ModelClient,
  NativeReasoning,
  TokenCountRequest,
} from "./model-client.js";
import { createOpenAIBatchApi } from "./openai-batches.js";
import { classifyProviderError, type ErrorContext, redact } from "./provider-errors.js";
import type { ProvidersConfig, ProviderType } from "./providers-config.js";
import { responseCacheKey } from "./response-cache-key.js";
import {
  defaultRetryPolicy,
  type RetryEvent,
  type RetryPolicy,
  retryPolicySchema,
  withRetries,
} from "./retry.js";
import { createSimulatedClient, type SimulatedClientOptions } from "./simulated/index.js";
import {
  type Completion,
  createAnthropicTransport,
  createOpenAITransport,
  type Transport,
} from "./transports.js";

function half(value: number | null): number | null {
  return value === null ? null : value / 2;
}

/** When responses are cached: `auto` only at temperature 0, `on` always (the epoch keeps repetitions apart), `off` never. */
export type CacheMode = "auto" | "on" | "off";

export interface ModelClientOptions {
  /** Overrides the provider's base URL (an OpenAI-compatible server, a proxy, a fake server in tests). */
  baseUrl?: string;
  /** Where keys and base URLs are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Requests in flight at once for this client; the rest wait in FIFO order. Defaults by provider. */
  maxConnections?: number;
  retry?: Partial<RetryPolicy>;
  responseCache?: ResponseCache;
  /** Default `auto`. */
  cacheMode?: CacheMode;
  /** Prices that win over the default table: an exact name or a `prefix*` here beats any default entry. */
  pricing?: PricingTable;
  /** Named providers and model aliases (see `loadProvidersConfig`). */
  providers?: ProvidersConfig;
  onRetry?: (event: RetryEvent) => void;
  /** Per-attempt timeout. Default 10 minutes. */
  timeoutMs?: number;
  /** Options for `sim/...` models. */
  simulated?: SimulatedClientOptions;
  /** The run's seed, handed to the simulated organism (its own `simulated.seed` wins). Real providers
   * take a seed per request (`GenerateRequest.seed`) instead. */
  seed?: number;
}

const optionsSchema = z.object({
  baseUrl: z.string().optional(),
  maxConnections: z.number().int().positive("expected a positive whole number").optional(),
  retry: retryPolicySchema.partial().optional(),
  cacheMode: z.enum(["auto", "on", "off"]).optional(),
  pricing: pricingTableSchema.optional(),
  timeoutMs: z.number().int().positive("expected a positive number of milliseconds").optional(),
  seed: z.number().int("expected a whole number").optional(),
});

const requestSchema = z.object({
  system: z.string(),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.string(),
        reasoning: turnReasoningSchema.optional(),
      }),
    )
    .min(1, "expected at least one message"),
  temperature: z.number().min(0, "expected a temperature of 0 or more"),
  maxTokens: z.number().int().positive("expected a positive whole number"),
  prefill: z.string().optional(),
  n: z.number().int().positive("expected a positive whole number").optional(),
  epoch: z.number().int().nonnegative().optional(),
  seed: z.number().int().optional(),
  thinkingBudget: z
    .number()
    .int("expected a whole number of tokens")
    .min(1024, "expected at least 1024 tokens (Anthropic's minimum thinking budget)")
    .optional(),
});

/** What each provider type's replies can carry: see `NativeReasoning`. */
const nativeReasoningOf: Record<ProviderType, NativeReasoning> = {
  anthropic: "extended-thinking",
  // OpenAI's Chat Completions API never returns its reasoning models' reasoning, only its token count.
  openai: "none",
  "openai-compatible": "model-dependent",
};

/** The rules of Anthropic's extended thinking, checked before a request is sent. */
function checkThinking(request: GenerateRequest, modelId: string, type: ProviderType): void {
  const budget = request.thinkingBudget;
  if (budget === undefined) return;
  const fail = (message: string) => {
    throw new InputError(`request to ${modelId}: thinkingBudget: ${message}`, { field: "thinkingBudget" });
  };
  if (type !== "anthropic") fail(`extended thinking is an Anthropic setting; ${modelId} is a ${type} model`);
  if (budget >= request.maxTokens)
    fail(
      `expected fewer than maxTokens (${request.maxTokens}) tokens, got ${budget}: thinking counts within max tokens`,
    );
  if (request.temperature !== 1)
    fail(`Anthropic allows extended thinking only at temperature 1, got ${request.temperature}`);
  if (request.prefill !== undefined && request.prefill !== "")
    fail("Anthropic does not accept a prefilled reply with extended thinking");
}

interface BuiltinProvider {
  type: ProviderType;
  apiKeyEnv: string | undefined;
  baseUrlEnv: string;
  defaultBaseUrl: string | undefined;
  maxConnections: number;
  supportsN: boolean;
  supportsPrefill: boolean;
}

const builtinProviders: Record<string, BuiltinProvider> = {
  anthropic: {
    type: "anthropic",
    apiKeyEnv: "ANTHROPIC_API_KEY",
    baseUrlEnv: "ANTHROPIC_BASE_URL",
    defaultBaseUrl: "https://api.anthropic.com",
    maxConnections: 16,
    supportsN: false,
    supportsPrefill: true,
  },
  openai: {
    type: "openai",
    apiKeyEnv: "OPENAI_API_KEY",
    baseUrlEnv: "OPENAI_BASE_URL",
    defaultBaseUrl: "https://api.openai.com/v1",
    maxConnections: 32,
    supportsN: true,
    supportsPrefill: false,
  },
  "openai-compatible": {
    type: "openai-compatible",
    // Local servers (vLLM, Ollama) often need no key, so this one is read when set but not required.
    apiKeyEnv: undefined,
    baseUrlEnv: "OPENAI_COMPATIBLE_BASE_URL",
    defaultBaseUrl: undefined,
    maxConnections: 16,
    supportsN: false,
    supportsPrefill: false,
  },
};

/** A model id resolved to a provider endpoint. Carries the key, so it never leaves this module. */
interface ResolvedModel {
  provider: string;
  type: ProviderType;
  modelName: string;
  baseUrl: string;
  apiKeyEnv: string | undefined;
  apiKey: string;
  maxConnections: number;
  supportsN: boolean;
  supportsPrefill: boolean;
}

function checkBaseUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `${source}: "${redact(value, undefined)}" is not a URL: expected an http(s) URL such as http://localhost:8000/v1`,
      {
        field: "baseUrl",
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InputError(`${source}: expected an http or https URL, got ${url.protocol}`, {
      field: "baseUrl",
    });
  // fetch refuses URLs with credentials, and a password there would travel into run configs and errors.
  if (url.username || url.password)
    throw new InputError(
      `${source}: the URL carries a user name or password; put credentials in the API key's environment variable instead`,
      { field: "baseUrl" },
    );
  return value.replace(/\/+$/, "");
}

/** A base URL compared by what it addresses: scheme and host case, default ports and trailing slashes do not count. */
function comparableBaseUrl(value: string): string | undefined {
  try {
    return new URL(value).href.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function resolveModel(modelId: string, options: ModelClientOptions): ResolvedModel {
  const env = options.env ?? process.env;
  const config = options.providers ?? { providers: {}, models: {} };
  const alias = config.models[modelId];
  const providerName = alias?.provider ?? providerOf(modelId);
  const modelName = alias?.model ?? modelNameOf(modelId);
  const configured = config.providers[providerName];
  const builtin = builtinProviders[configured?.type ?? providerName];
  if (!builtin)
    throw new InputError(
      `unknown provider "${providerName}" in model id ${modelId}: expected anthropic, openai, openai-compatible, sim, or a provider named in a providers config`,
      { field: "model" },
    );
  const type = configured?.type ?? builtin.type;

  // The base URL the provider's entry names: its config entry, else (built-ins only) the environment, else
  // the provider's public endpoint. This is the only host the provider's key is ever sent to.
  const entryBaseUrl = configured
    ? (configured.baseUrl ?? builtin.defaultBaseUrl)
    : (nonEmpty(env[builtin.baseUrlEnv]) ?? builtin.defaultBaseUrl);
  const requestedBaseUrl = options.baseUrl;
  const rawBaseUrl = requestedBaseUrl ?? entryBaseUrl;
  if (rawBaseUrl === undefined || rawBaseUrl === "")
    throw new InputError(
      `${modelId} needs a base URL: pass --base-url or set ${builtin.baseUrlEnv} (for example http://localhost:8000/v1)`,
      { field: "baseUrl" },
    );
  const baseUrl = checkBaseUrl(
    rawBaseUrl,
    requestedBaseUrl !== undefined ? "baseUrl" : `base URL of ${providerName}`,
  );

  const apiKeyEnv = configured
    ? (configured.apiKeyEnv ?? (type === "openai-compatible" ? undefined : builtin.apiKeyEnv))
    : builtin.apiKeyEnv;
  // A built-in openai-compatible server has no host of its own: its optional key goes to the base URL
  // given for the run, unless OPENAI_COMPATIBLE_BASE_URL binds it to one.
  const compatibleKey =
    type === "openai-compatible" && !configured ? nonEmpty(env.OPENAI_COMPATIBLE_API_KEY) : undefined;
  const keyEnv = apiKeyEnv ?? (compatibleKey !== undefined ? "OPENAI_COMPATIBLE_API_KEY" : undefined);
  let apiKey: string;
  if (apiKeyEnv !== undefined) {
    const value = env[apiKeyEnv];
    if (value === undefined || value.trim() === "")
      throw new InputError(`${apiKeyEnv} is not set: export it or put it in .env`, { field: apiKeyEnv });
    apiKey = value.trim();
  } else {
    // The SDK insists on a key; servers without authentication ignore this placeholder.
    apiKey = compatibleKey ?? "no-key";
  }
  if (requestedBaseUrl !== undefined && entryBaseUrl !== undefined && keyEnv !== undefined) {
    const entry = comparableBaseUrl(entryBaseUrl);
    if (entry === undefined || entry !== comparableBaseUrl(baseUrl)) {
      const bind = configured
        ? `change provider ${providerName}'s baseUrl in the providers config, or name another provider for that host`
        : `set ${builtin.baseUrlEnv} to it, or name a provider with that baseUrl and its own apiKeyEnv in aflab.providers.json`;
      throw new InputError(
        `baseUrl: ${keyEnv} is only sent to ${redact(entryBaseUrl, undefined)}, the base URL of provider ${providerName}, ` +
          `not to ${redact(baseUrl, undefined)}; to use a key there, ${bind}`,
        { field: "baseUrl" },
      );
    }
  }

  return {
    provider: providerName,
    type,
    modelName,
    baseUrl,
    apiKeyEnv:
      apiKeyEnv ?? (type === "openai-compatible" && !configured ? "OPENAI_COMPATIBLE_API_KEY" : undefined),
    apiKey,
    maxConnections: options.maxConnections ?? configured?.maxConnections ?? builtin.maxConnections,
    supportsN: configured?.supportsN ?? builtin.supportsN,
    supportsPrefill: configured?.supportsPrefill ?? builtin.supportsPrefill,
  };
}

/**
 * Creates the client for a model id: `anthropic/<model>`, `openai/<model>`, `openai-compatible/<model>`
 * (with a base URL), `<configured provider>/<model>`, a configured alias, or `sim/<name>`. Each client has
 * its own connection pool, retry policy, response cache use and cost accounting. A missing API key or a
 * malformed base URL is an InputError here, before any request.
 *
 * @example
 * const judge = createModelClient("anthropic/claude-3-5-sonnet-20240620", { maxConnections: 8 });
 * const result = await judge.generate({ system, messages: [{ role: "user", content: "..." }], temperature: 0, maxTokens: 512 });
 */
export function createModelClient(modelId: string, options: ModelClientOptions = {}): ModelClient {
  parseOrThrow(modelIdSchema, modelId, "model id");
  const checked = parseOrThrow(optionsSchema, options, "model client options");
  const simulated = resolveSimulated(modelId);
  if (simulated?.kind === "judge")
    throw new InputError(
      `${modelId} is the simulated judge: it judges (--judge ${modelId}), it is no model to run experiments on`,
      { field: "model" },
    );
  if (simulated)
    return createSimulatedClient(simulated.name, {
      ...(checked.seed === undefined ? {} : { seed: checked.seed }),
      ...options.simulated,
    });

  const resolved = resolveModel(modelId, options);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...checked.retry };
  const timeoutMs = checked.timeoutMs ?? 600_000;
  const overrides: PricingTable = checked.pricing ?? {};
  const cacheMode: CacheMode = checked.cacheMode ?? "auto";
  const cache = options.responseCache;
  const limiter = createConcurrencyLimiter(resolved.maxConnections);
  const knownSecrets = [...secretsFromEnvironment(options.env ?? process.env), resolved.apiKey];
  const settings = {
    provider: resolved.provider,
    modelName: resolved.modelName,
    baseUrl: resolved.baseUrl,
    apiKey: resolved.apiKey,
    timeoutMs,
    supportsPrefill: resolved.supportsPrefill,
  };
  const transport: Transport =
    resolved.type === "anthropic"
      ? createAnthropicTransport(settings)
      : createOpenAITransport({ ...settings, flavour: resolved.type === "openai" ? "openai" : "compatible" });
  const errorContext: ErrorContext = {
    provider: resolved.provider,
    modelId,
    modelName: resolved.modelName,
    baseUrl: resolved.baseUrl,
    apiKeyEnv: resolved.apiKeyEnv,
    apiKey: resolved.apiKey,
    timeoutMs,
  };

  const sendWithRetries = (request: GenerateRequest, n: number) =>
    limiter.run(
      () =>
        withRetries(() => transport.send(request, n), {
          modelId,
          policy,
          classify: (error) => classifyProviderError(error, errorContext),
          describeExhausted: (lastError, attempts, elapsedMs) =>
            `${modelId}: gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} in ${(elapsedMs / 1000).toFixed(1)} s; last error: ${lastError.message}`,
          onRetry: (event) => {
            options.onRetry?.(event);
            request.onRetry?.(event);
          },
          signal: request.signal,
        }),
      request.signal,
    );

  // The user's table first: its `claude-opus-4*` must not lose to a default exact `claude-opus-4-6`.
  const price = priceFor(resolved.modelName, overrides) ?? priceFor(resolved.modelName, defaultPricing);
  const countTokens = transport.countTokens;
  // Batch replies are billed at the batch price: half of every token kind (cache pricing stacks with it).
  const batchPrice = price && {
    input: half(price.input),
    output: half(price.output),
    cacheWrite: half(price.cacheWrite),
    cacheRead: half(price.cacheRead),
  };
  const batchResult = (completion: Completion): GenerateResult => ({
    texts: completion.texts,
    ...(completion.reasoning.some((entry) => entry !== null) ? { reasoning: completion.reasoning } : {}),
    ...(completion.refusals.some((entry) => entry !== null) ? { refusals: completion.refusals } : {}),
    stopReason: completion.stopReasons.find((reason) => reason !== null) ?? null,
    usage: completion.usage,
    costUsd: batchPrice && completion.usageKnown ? costOf(completion.usage, batchPrice) : null,
    model: completion.model,
    cached: false,
    retries: 0,
    latencyMs: 0,
  });
  // The batch API by provider: Anthropic Message Batches, or the OpenAI Batch API (OpenAI and the
  // OpenAI-compatible servers that speak it).
  const batches =
    resolved.type === "anthropic"
      ? createAnthropicBatchApi(settings, batchResult)
      : createOpenAIBatchApi(
          {
            ...settings,
            flavour: resolved.type === "openai" ? "openai" : "compatible",
            supportsN: resolved.supportsN,
          },
          batchResult,
        );
  return {
    id: modelId,
    provider: resolved.provider,
    simulated: false,
    supportsPrefill: resolved.supportsPrefill,
    nativeReasoning: nativeReasoningOf[resolved.type],
    supportsN: resolved.supportsN,
    price: price ?? null,
    ...(batches ? { batches } : {}),
    ...(countTokens
      ? {
          countTokens: (request: TokenCountRequest) =>
            limiter.run(async () => {
              const outcome = await withRetries(() => countTokens(request), {
                modelId,
                policy,
                classify: (error) => classifyProviderError(error, errorContext),
                describeExhausted: (lastError, attempts) =>
                  `${modelId}: counting tokens gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}; last error: ${lastError.message}`,
              });
              return outcome.value;
            }),
        }
      : {}),
    async generate(input: GenerateRequest): Promise<GenerateResult> {
      const started = performance.now();
      const request: GenerateRequest = {
        ...parseOrThrow(
          requestSchema,
          { ...input, signal: undefined, onRetry: undefined },
          `request to ${modelId}`,
        ),
        signal: input.signal,
        ...(input.onRetry ? { onRetry: input.onRetry } : {}),
      };
      checkThinking(request, modelId, resolved.type);
      const n = request.n ?? 1;
      const useCache =
        cache !== undefined && (cacheMode === "on" || (cacheMode === "auto" && request.temperature === 0));
      const key = useCache
        ? responseCacheKey({
            provider: resolved.provider,
            model: resolved.modelName,
            baseUrl: resolved.baseUrl,
            system: request.system,
            messages: request.messages,
            temperature: request.temperature,
            maxTokens: request.maxTokens,
            prefill: request.prefill,
            n,
            epoch: request.epoch,
            seed: request.seed,
            thinkingBudget: request.thinkingBudget,
          })
        : undefined;
      if (cache && key) {
        const hit = await cache.get(key);
        if (hit)
          return {
            texts: hit.texts,
            ...(hit.reasoning ? { reasoning: hit.reasoning } : {}),
            ...(hit.refusals ? { refusals: hit.refusals } : {}),
            stopReason: hit.stopReason,
            usage: hit.usage,
            costUsd: 0,
            model: hit.model,
            cached: true,
            retries: 0,
            latencyMs: performance.now() - started,
          };
      }

      // One call with n completions where the server takes n; otherwise n calls, each in its own slot.
      // Split calls get seeds seed, seed + 1, ...: a server that honours the seed would otherwise send
      // the same completion n times, and n votes would be one vote counted n times.
      const calls = resolved.supportsN || n === 1 ? [n] : Array.from({ length: n }, () => 1);
      const outcomes = await Promise.all(
        calls.map((count, index) =>
          sendWithRetries(
            index === 0 || request.seed === undefined ? request : { ...request, seed: request.seed + index },
            count,
          ),
        ),
      );
      const completions: Completion[] = outcomes.map((outcome) => outcome.value);
      const usage: Usage = completions.reduce(
        (total, completion) => addUsage(total, completion.usage),
        emptyUsage,
      );
      const usageKnown = completions.every((completion) => completion.usageKnown);
      const texts = completions.flatMap((completion) => completion.texts);
      const reasoningList = completions.flatMap((completion) => completion.reasoning);
      const refusalList = completions.flatMap((completion) => completion.refusals);
      // Left out when empty, so results without either look as they always did.
      const reasoning = reasoningList.some((entry) => entry !== null) ? reasoningList : undefined;
      const refusals = refusalList.some((entry) => entry !== null) ? refusalList : undefined;
      const stopReason =
        completions.flatMap((completion) => completion.stopReasons).find((reason) => reason !== null) ?? null;
      const model = completions[0]?.model ?? resolved.modelName;
      // The cache lives in the store, which never holds a key: an answer that echoes one is not cached.
      const echoesSecret = [
        ...texts,
        JSON.stringify(reasoning ?? null),
        JSON.stringify(refusals ?? null),
      ].some((text) => containsSecret(text, knownSecrets));
      if (cache && key && !echoesSecret)
        await cache.set(key, {
          texts,
          stopReason,
          usage,
          model,
          ...(reasoning ? { reasoning } : {}),
          ...(refusals ? { refusals } : {}),
        });
      return {
        texts,
        ...(reasoning ? { reasoning } : {}),
        ...(refusals ? { refusals } : {}),
        stopReason,
        usage,
        costUsd: price && usageKnown ? costOf(usage, price) : null,
        model,
        cached: false,
        retries: outcomes.reduce((sum, outcome) => sum + outcome.retries, 0),
        latencyMs: performance.now() - started,
      };
    },
  };
}
