export type { BatchApi, BatchCounts, BatchItem, BatchItemResult, BatchStatus } from "./batches.js";
export { type ConcurrencyLimiter, createConcurrencyLimiter } from "./concurrency.js";
export { type CacheMode, createModelClient, type ModelClientOptions } from "./create-model-client.js";
export { loadDotEnv, parseDotEnv } from "./dot-env.js";
export type {
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  ModelClient,
  NativeReasoning,
  TokenCountRequest,
} from "./model-client.js";
export { classifyProviderError, type ErrorContext, isRetryableStatus, redact } from "./provider-errors.js";
export {
  loadProvidersConfig,
  type ModelAlias,
  mergeProvidersConfigs,
  modelAliasSchema,
  type ProviderConfig,
  type ProvidersConfig,
  type ProvidersConfigFile,
  type ProvidersConfigInput,
  type ProviderType,
  providerConfigSchema,
  providersConfigSchema,
  providerTypeSchema,
} from "./providers-config.js";
export { type ResponseCacheKeyInput, responseCacheKey } from "./response-cache-key.js";
export {
  backoffDelayMs,
  defaultRetryPolicy,
  parseDurationMs,
  RetriesExhaustedError,
  type RetryEvent,
  type RetryPolicy,
  retryDelayFromHeaders,
  retryPolicySchema,
} from "./retry.js";
export { preloadProviderSdks } from "./sdk-modules.js";

// --- Simulated model organism (src/simulated, maintained with the simulated-organism work) ---
export {
  createSimulatedClient,
  type DecisionOptions,
  type MalformedKind,
  parseSimulatedModel,
  type SimulatedBase,
  type SimulatedClient,
  type SimulatedClientOptions,
  type SimulatedDecision,
  type SimulatedModelName,
  type SimulatedProfile,
  type SimulatedShape,
  type SimulatedTier,
  simulateDecision,
  simulatedModelHelp,
  simulatedModelNames,
} from "./simulated/index.js";
// --- end simulated ---
