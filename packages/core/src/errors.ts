/**
 * The error tree shared by every aflab package. Each error carries a stable `code` so the CLI can
 * choose an exit status and the API an HTTP status without parsing messages.
 */
export type AflabErrorCode =
  | "invalid_input" // bad flags, config, dataset or request body: the user can fix it
  | "not_found" // a run, sample or file that does not exist
  | "provider_error" // a model API answered with an error that retrying will not fix
  | "provider_unavailable" // retries exhausted on retryable errors
  | "authentication" // missing or rejected API key
  | "aborted" // the run was cancelled
  | "internal";

export class AflabError extends Error {
  readonly code: AflabErrorCode;
  constructor(code: AflabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AflabError";
    this.code = code;
  }
}

/** Input the user can fix: the message names the field and what was expected. */
export class InputError extends AflabError {
  readonly field: string | undefined;
  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super("invalid_input", message, options);
    this.name = "InputError";
    this.field = options?.field;
  }
}

export class NotFoundError extends AflabError {
  constructor(message: string) {
    super("not_found", message);
    this.name = "NotFoundError";
  }
}

/**
 * An error from a model provider's API. `isRetryable` decides whether the retry layer tries again;
 * `retryAfterMs` carries what the provider asked us to wait (retry-after or rate-limit reset headers).
 */
export class ProviderError extends AflabError {
  readonly status: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly headers: Record<string, string>;
  readonly provider: string;
  constructor(
    message: string,
    options: {
      provider: string;
      status?: number;
      isRetryable: boolean;
      retryAfterMs?: number;
      headers?: Record<string, string>;
      code?: AflabErrorCode;
      cause?: unknown;
    },
  ) {
    super(options.code ?? "provider_error", message, { cause: options.cause });
    this.name = "ProviderError";
    this.provider = options.provider;
    this.status = options.status;
    this.isRetryable = options.isRetryable;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers ?? {};
  }
}

export function isAflabError(error: unknown): error is AflabError {
  return error instanceof AflabError;
}

/** One line for a human: the message of an AflabError, or a short description of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
