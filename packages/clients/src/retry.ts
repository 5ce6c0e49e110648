import { AflabError, InputError, ProviderError } from "@aflab/core";
import { z } from "zod";

/** How hard the client tries before giving up on retryable errors. */
export interface RetryPolicy {
  /** Attempts in total, the first one included (default 8). */
  maxAttempts: number;
  /** Backoff base: retry k waits a uniform random time in [0, min(maxDelayMs, baseDelayMs × 2^k)] (default 1000). */
  baseDelayMs: number;
  /** Upper bound of one backoff when the provider gave no hint (default 60 s). */
  maxDelayMs: number;
  /** Time budget for all waiting on one request; past it the client gives up (default 10 minutes). */
  maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxTotalMs: 600_000,
});

export const retryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1, "expected at least 1 attempt"),
  baseDelayMs: z.number().nonnegative(),
  maxDelayMs: z.number().nonnegative(),
  maxTotalMs: z.number().nonnegative(),
});

/** What `onRetry` listeners hear before each wait. */
export interface RetryEvent {
  modelId: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** HTTP status of the failure, undefined for connection errors and timeouts. */
  status: number | undefined;
  /** A short category: `rate limited (429)`, `overloaded (529)`, `server error (500)`, `timeout`,
   * `connection refused`, `connection dropped`, ... */
  reason: string;
  /** One line describing the failure (never contains the API key). */
  message: string;
  /** True when the wait came from retry-after or rate-limit reset headers. */
  fromHeaders: boolean;
}

/** Thrown when every attempt failed on retryable errors or the retry time budget ran out. */
export class RetriesExhaustedError extends ProviderError {
  /** Attempts made, the first included. */
  readonly attempts: number;
  readonly lastError: ProviderError;
  constructor(message: string, options: { attempts: number; lastError: ProviderError }) {
    super(message, {
      provider: options.lastError.provider,
      status: options.lastError.status,
      isRetryable: false,
      headers: options.lastError.headers,
      code: "provider_unavailable",
      cause: options.lastError,
    });
    this.name = "RetriesExhaustedError";
    this.attempts = options.attempts;
    this.lastError = options.lastError;
  }
}

/**
 * Parses a Go-style duration as OpenAI sends in `x-ratelimit-reset-*` (`20ms`, `1s`, `6m0s`, `1h2m3.5s`)
 * into milliseconds; undefined when it is not one.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(trimmed)) return undefined;
  const factors: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  };
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) {
    total += Number(match[1]) * (factors[match[2] ?? "s"] ?? 0);
  }
  return total;
}

/**
 * How long the provider asked us to wait, from response headers, in milliseconds: `retry-after-ms`,
 * then `retry-after` (seconds or an HTTP date), then the rate-limit reset headers of the exhausted limits
 * (`anthropic-ratelimit-*-reset` RFC 3339 times, OpenAI `x-ratelimit-reset-*` durations). Undefined when
 * no header says anything usable.
 *
 * @example retryDelayFromHeaders({ "retry-after": "2" }) // 2000
 */
export function retryDelayFromHeaders(
  headers: Record<string, string>,
  now: number = Date.now(),
): number | undefined {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;

  const milliseconds = lower["retry-after-ms"];
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Number(milliseconds);

  const retryAfter = lower["retry-after"];
  if (retryAfter !== undefined) {
    const trimmed = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
    const date = Date.parse(trimmed);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }

  // Reset headers: wait for the limits that are used up; when none says so, for the earliest reset.
  const resets: Array<{ delay: number; exhausted: boolean }> = [];
  for (const [name, value] of Object.entries(lower)) {
    const anthropic = /^anthropic-ratelimit-(.+)-reset$/.exec(name);
    if (anthropic) {
      const date = Date.parse(value);
      if (Number.isNaN(date)) continue;
      const remaining = lower[`anthropic-ratelimit-${anthropic[1]}-remaining`];
      resets.push({ delay: Math.max(0, date - now), exhausted: remaining === "0" });
      continue;
    }
    const openai = /^x-ratelimit-reset-(.+)$/.exec(name);
    if (openai) {
      const delay = parseDurationMs(value);
      if (delay === undefined) continue;
      const remaining = lower[`x-ratelimit-remaining-${openai[1]}`];
      resets.push({ delay, exhausted: remaining === "0" });
    }
  }
  const exhausted = resets.filter((reset) => reset.exhausted);
  if (exhausted.length > 0) return Math.max(...exhausted.map((reset) => reset.delay));
  if (resets.length > 0) return Math.min(...resets.map((reset) => reset.delay));
  return undefined;
}

function reasonOf(error: ProviderError): string {
  const reason = (error as ProviderError & { reason?: unknown }).reason;
  if (typeof reason === "string") return reason;
  return error.status === undefined ? "error" : `HTTP ${error.status}`;
}

/** Full jitter: a uniform random wait in [0, min(maxDelayMs, baseDelayMs × 2^retryIndex)]. */
export function backoffDelayMs(
  policy: RetryPolicy,
  retryIndex: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return random() * ceiling;
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortedError(): AflabError {
  return new AflabError("aborted", "the request was cancelled");
}

export interface RetryContext {
  modelId: string;
  policy: RetryPolicy;
  /** Turns anything an attempt threw into a ProviderError (or rethrows errors that are not provider errors). */
  classify: (error: unknown) => ProviderError | AflabError;
  /** Describes giving up, given the last error and the attempts made. */
  describeExhausted: (lastError: ProviderError, attempts: number, elapsedMs: number) => string;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Runs `operation` until it succeeds, a non-retryable error occurs, or the policy is spent. Waits honour
 * the provider's retry-after/reset hints (plus a little jitter) and otherwise use exponential backoff with
 * full jitter. Returns the value and the number of retries spent.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  context: RetryContext,
): Promise<{ value: T; retries: number }> {
  const policy = context.policy;
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const value = await operation(attempt);
      return { value, retries: attempt - 1 };
    } catch (thrown) {
      if (thrown instanceof InputError) throw thrown;
      const error = context.classify(thrown);
      if (!(error instanceof ProviderError) || !error.isRetryable) throw error;
      const elapsed = Date.now() - started;
      const hinted = error.retryAfterMs;
      const delay =
        hinted !== undefined
          ? hinted + Math.random() * Math.min(policy.baseDelayMs, 1000)
          : backoffDelayMs(policy, attempt - 1);
      if (attempt >= policy.maxAttempts || elapsed + delay > policy.maxTotalMs) {
        throw new RetriesExhaustedError(context.describeExhausted(error, attempt, elapsed), {
          attempts: attempt,
          lastError: error,
        });
      }
      context.onRetry?.({
        modelId: context.modelId,
        attempt,
        delayMs: delay,
        status: error.status,
        reason: reasonOf(error),
        message: error.message,
        fromHeaders: hinted !== undefined,
      });
      await sleep(delay, context.signal);
    }
  }
}
