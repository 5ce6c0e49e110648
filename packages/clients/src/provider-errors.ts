import { AflabError, ProviderError } from "@aflab/core";
import { abortedError, retryDelayFromHeaders } from "./retry.js";
import { loadedSdkErrorClasses, type SdkErrorClasses } from "./sdk-modules.js";

/** Whether `error` is an instance of one SDK's error class of the given kind. */
function isSdkError(error: unknown, kind: Exclude<keyof SdkErrorClasses, "api">): error is Error {
  return loadedSdkErrorClasses().some((classes) => error instanceof classes[kind]);
}

type SdkApiError = InstanceType<SdkErrorClasses["api"]>;
function isSdkApiError(error: unknown): error is SdkApiError {
  return loadedSdkErrorClasses().some((classes) => error instanceof classes.api);
}

/** What an error message may name about the call (never the key itself). */
export interface ErrorContext {
  provider: string;
  modelId: string;
  modelName: string;
  baseUrl: string;
  /** The environment variable the key came from, for "X was rejected" messages. */
  apiKeyEnv: string | undefined;
  /** Only used to scrub the key out of any text a server echoed back. */
  apiKey: string | undefined;
  timeoutMs: number;
}

/** A ProviderError with a short category (`rate limited (429)`, `timeout`, ...) for progress events. */
export class ClassifiedProviderError extends ProviderError {
  readonly reason: string;
  constructor(message: string, options: ConstructorParameters<typeof ProviderError>[1] & { reason: string }) {
    super(message, options);
    this.reason = options.reason;
  }
}

function reasonOfStatus(status: number): string {
  if (status === 429) return "rate limited (429)";
  if (status === 529) return "overloaded (529)";
  if (status === 408) return "request timeout (408)";
  if (status >= 500) return `server error (${status})`;
  return `HTTP ${status}`;
}

/** Statuses worth retrying: request timeout, conflict, rate limit, server errors and Anthropic's 529. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The first network error code found along an error's cause chain (AggregateError included). */
export function networkCodeOf(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && networkCodes.has(code)) return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    for (const inner of nested) {
      const found = networkCodeOf(inner, depth + 1);
      if (found) return found;
    }
  }
  return networkCodeOf((error as { cause?: unknown }).cause, depth + 1);
}

function headersToRecord(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers && typeof (headers as Headers).forEach === "function") {
    (headers as Headers).forEach((value, name) => {
      record[name.toLowerCase()] = value;
    });
  }
  return record;
}

/** The provider's own message from an error body: Anthropic `{error:{message}}` or OpenAI `{message}`. */
/** OpenAI's `insufficient_quota` error, wherever the SDK put the body's error object. */
function isQuotaExhausted(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const inner = (body as { error?: unknown }).error;
  const fields = typeof inner === "object" && inner !== null ? inner : body;
  const { code, type } = fields as { code?: unknown; type?: unknown };
  return code === "insufficient_quota" || type === "insufficient_quota";
}

function apiMessageOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const inner = (body as { error?: unknown }).error;
  if (typeof inner === "object" && inner !== null) {
    const message = (inner as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  const message = (body as { message?: unknown }).message;
  return typeof message === "string" ? message : undefined;
}

/** Removes the API key from any text, in case a server echoed it back. */
export function redact(text: string, apiKey: string | undefined): string {
  // A base URL may carry proxy credentials (https://user:password@host): the password goes too.
  const withoutPasswords = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]+@/gi, "$1[redacted]@");
  if (!apiKey || apiKey.length < 4) return withoutPasswords;
  return withoutPasswords.split(apiKey).join("[redacted]");
}

function describeStatus(status: number, apiMessage: string | undefined, context: ErrorContext): string {
  const detail = apiMessage ? `: ${apiMessage}` : "";
  const keyName = context.apiKeyEnv ?? "the API key";
  switch (status) {
    case 401:
      return context.apiKeyEnv
        ? `${context.apiKeyEnv} was rejected (401) by ${context.baseUrl} for ${context.modelId}: check the key`
        : `${context.baseUrl} rejected the request as unauthenticated (401) for ${context.modelId}: configure an API key for this provider`;
    case 403:
      return `${keyName} is not allowed to use ${context.modelName} (403) at ${context.baseUrl}${detail}`;
    case 404:
      return `model ${context.modelName} not found (404) at ${context.baseUrl}: check the model name${detail}`;
    case 408:
      return `${context.modelId}: the server timed out the request (408)${detail}`;
    case 429:
      return `${context.modelId}: rate limited (429)${detail}`;
    case 529:
      return `${context.modelId}: the provider is overloaded (529)${detail}`;
    default:
      if (status >= 500) return `${context.modelId}: server error (${status}) at ${context.baseUrl}${detail}`;
      return `${context.modelId}: the request was rejected (${status})${detail}`;
  }
}

/**
 * The wait a failed response asks for. Rate-limit reset headers describe rate limits, and providers send
 * them on every response: they only set the wait of a 429. Any other retryable status (500, 503, 529...)
 * honours an explicit `retry-after`/`retry-after-ms` and otherwise gets exponential backoff, so an outage
 * is not hammered at the pace of an unrelated, not-exhausted limit's reset.
 */
function hintedDelayMs(status: number, headers: Record<string, string>): number | undefined {
  if (status === 429) return retryDelayFromHeaders(headers);
  const explicit: Record<string, string> = {};
  for (const name of ["retry-after", "retry-after-ms"]) {
    const value = headers[name];
    if (value !== undefined) explicit[name] = value;
  }
  return retryDelayFromHeaders(explicit);
}

/**
 * Turns whatever one attempt threw into a ProviderError (retryable or not) with a message naming the
 * model and what to do; cancellation becomes an `aborted` AflabError. Other errors pass through unchanged.
 */
export function classifyProviderError(error: unknown, context: ErrorContext): ProviderError | AflabError {
  if (error instanceof AflabError) return error;
  if (isSdkError(error, "abort")) return abortedError();
  const clean = (text: string) => redact(text, context.apiKey);

  if (isSdkError(error, "timeout")) {
    return new ClassifiedProviderError(
      clean(`${context.modelId}: no answer from ${context.baseUrl} within ${context.timeoutMs} ms`),
      { provider: context.provider, isRetryable: true, reason: "timeout" },
    );
  }
  if (isSdkError(error, "connection")) {
    const code = networkCodeOf(error);
    const reason = code === "ECONNREFUSED" ? "connection refused" : (code ?? "connection error");
    return new ClassifiedProviderError(
      clean(
        `${context.modelId}: could not reach ${context.baseUrl} (${reason}): check the base URL and that the server is running`,
      ),
      { provider: context.provider, isRetryable: true, reason },
    );
  }
  if (isSdkApiError(error)) {
    const status = error.status;
    const headers = headersToRecord(error.headers);
    if (status === undefined) {
      return new ClassifiedProviderError(clean(`${context.modelId}: ${error.message}`), {
        provider: context.provider,
        isRetryable: true,
        reason: "connection error",
      });
    }
    if (status === 429 && isQuotaExhausted(error.error)) {
      // OpenAI answers an empty balance with 429 too; waiting does not refill it, so retrying only wastes time.
      return new ClassifiedProviderError(
        clean(
          `${context.modelId}: the account's quota is used up (429 insufficient_quota) at ${context.baseUrl}: check the plan and billing`,
        ),
        { reason: "quota exhausted", provider: context.provider, status, isRetryable: false, headers },
      );
    }
    const retryable = isRetryableStatus(status);
    return new ClassifiedProviderError(clean(describeStatus(status, apiMessageOf(error.error), context)), {
      reason: reasonOfStatus(status),
      provider: context.provider,
      status,
      isRetryable: retryable,
      retryAfterMs: retryable ? hintedDelayMs(status, headers) : undefined,
      headers,
      code: status === 401 || status === 403 ? "authentication" : "provider_error",
    });
  }
  // A connection dropped mid-body surfaces from fetch as a bare TypeError ("terminated") with a socket code.
  const code = networkCodeOf(error);
  if (code !== undefined || (error instanceof TypeError && /terminated|fetch failed/i.test(error.message))) {
    return new ClassifiedProviderError(
      clean(`${context.modelId}: the connection to ${context.baseUrl} was dropped (${code ?? "terminated"})`),
      { provider: context.provider, isRetryable: true, reason: "connection dropped" },
    );
  }
  if (error instanceof Error) return new AflabError("internal", clean(error.message), { cause: error });
  return new AflabError("internal", clean(String(error)));
}
