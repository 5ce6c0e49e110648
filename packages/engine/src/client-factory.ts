import { createSimulatedJudge } from "@aflab/classifiers";
import { createModelClient, type ModelClient, type ProvidersConfig, type RetryPolicy } from "@aflab/clients";
import { type PricingTable, type ResponseCache, type RunEventListener, resolveSimulated } from "@aflab/core";
import type { ClientFactory } from "./prepare-run.js";

export interface ClientFactoryOptions {
  env?: Record<string, string | undefined>;
  responseCache?: ResponseCache;
  /** `auto` caches temperature-0 calls only; `on` caches all (epochs keep repetitions apart); `off` none. */
  cacheMode?: "auto" | "on" | "off";
  /** Judge calls are cached by default (`on`): re-classifying a run reuses every vote already paid for. */
  judgeCacheMode?: "auto" | "on" | "off";
  providers?: ProvidersConfig;
  pricing?: PricingTable;
  /** Connection limits per role; each role gets its own pool. */
  maxConnections?: { model?: number; judge?: number };
  /** Retry policy for both clients (attempts, backoff base and caps, total budget); defaults from `@aflab/clients`. */
  retry?: Partial<RetryPolicy>;
  /** Receives `retry` events (the run id is filled in by the caller's listener). */
  onEvent?: RunEventListener;
  runId?: () => string;
}

/**
 * The default way to build clients for a run: the model under test and the judge are separate clients,
 * each with its own connection pool; both share the response cache. `sim/judge` is the offline judge.
 */
export function createClientFactory(options: ClientFactoryOptions = {}): ClientFactory {
  return (modelId, role, config): ModelClient => {
    if (resolveSimulated(modelId)?.kind === "judge") return createSimulatedJudge();
    return createModelClient(modelId, {
      env: options.env,
      baseUrl: role === "model" ? config.baseUrl : undefined,
      responseCache: options.responseCache,
      cacheMode: role === "judge" ? (options.judgeCacheMode ?? "on") : (options.cacheMode ?? "auto"),
      providers: options.providers,
      pricing: options.pricing,
      maxConnections: role === "model" ? options.maxConnections?.model : options.maxConnections?.judge,
      seed: config.seed,
      ...(options.retry ? { retry: options.retry } : {}),
      onRetry: (retry) =>
        options.onEvent?.({
          type: "retry",
          runId: options.runId?.() ?? "",
          model: modelId,
          attempt: retry.attempt,
          delayMs: retry.delayMs,
          reason: retry.reason,
        }),
    });
  };
}
