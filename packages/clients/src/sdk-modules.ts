import type * as AnthropicSdk from "@anthropic-ai/sdk";
import type * as OpenAISdk from "openai";

// The provider SDKs load on the first request, not at import: a command that never calls a provider
// (a report, a listing, a run on the simulated organism) starts in about half the time.

let anthropic: Promise<typeof AnthropicSdk> | undefined;
let openai: Promise<typeof OpenAISdk> | undefined;
let anthropicLoaded: typeof AnthropicSdk | undefined;
let openaiLoaded: typeof OpenAISdk | undefined;

export function loadAnthropicSdk(): Promise<typeof AnthropicSdk> {
  anthropic ??= import("@anthropic-ai/sdk").then((module) => {
    anthropicLoaded = module;
    return module;
  });
  return anthropic;
}

export function loadOpenAISdk(): Promise<typeof OpenAISdk> {
  openai ??= import("openai").then((module) => {
    openaiLoaded = module;
    return module;
  });
  return openai;
}

/** The error classes of the SDKs loaded so far: an SDK that never loaded threw nothing. */
export interface SdkErrorClasses {
  abort: abstract new (...args: never[]) => Error;
  timeout: abstract new (...args: never[]) => Error;
  connection: abstract new (...args: never[]) => Error;
  api: typeof AnthropicSdk.APIError | typeof OpenAISdk.APIError;
}

export function loadedSdkErrorClasses(): SdkErrorClasses[] {
  const classes: SdkErrorClasses[] = [];
  for (const sdk of [anthropicLoaded, openaiLoaded]) {
    if (!sdk) continue;
    classes.push({
      abort: sdk.APIUserAbortError,
      timeout: sdk.APIConnectionTimeoutError,
      connection: sdk.APIConnectionError,
      api: sdk.APIError,
    });
  }
  return classes;
}

/**
 * Load both provider SDKs now rather than on the first request: for a server that wants its first
 * request as fast as the rest, or a benchmark that times requests, not module loading.
 */
export async function preloadProviderSdks(): Promise<void> {
  await Promise.all([loadAnthropicSdk(), loadOpenAISdk()]);
}
