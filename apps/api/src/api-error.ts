import {
  AflabError,
  type ApiErrorBody,
  type ApiErrorCode,
  type ApiErrorStatus,
  apiErrorStatus,
  InputError,
  issuesOf,
  NotFoundError,
  scrubSecrets,
} from "@aflab/core";
import { z } from "zod";

export { type ApiErrorBody, type ApiErrorCode, apiErrorCodes } from "@aflab/core";

/** An error raised inside a route that already knows its HTTP meaning. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  /** Response headers that go with it, e.g. `retry-after` on TOO_MANY_REQUESTS. */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.headers = headers;
  }
  get status(): ApiErrorStatus {
    return apiErrorStatus[this.code];
  }
}

/** The HTTP status that goes with an error code. */
export function statusOf(code: ApiErrorCode): ApiErrorStatus {
  return apiErrorStatus[code];
}

/**
 * Turn anything a route threw into `{ code, message }`: input errors name the field, zod failures list
 * every path, unknown errors become a generic INTERNAL without their message or stack (it may hold
 * details a client has no business seeing). Every message is scrubbed of anything that looks like a key.
 */
export function normaliseError(error: unknown): ApiErrorBody {
  const body = classify(error);
  return { code: body.code, message: scrubSecrets(body.message) };
}

function classify(error: unknown): ApiErrorBody {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  if (error instanceof InputError) {
    const field = error.field && !error.message.includes(error.field) ? ` (field ${error.field})` : "";
    return { code: "BAD_REQUEST", message: `${error.message}${field}` };
  }
  if (error instanceof NotFoundError) return { code: "NOT_FOUND", message: error.message };
  if (error instanceof z.ZodError) {
    const detail = issuesOf(error)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join("; ");
    return { code: "BAD_REQUEST", message: `invalid request: ${detail}` };
  }
  if (error instanceof AflabError) {
    // Provider and authentication failures while starting a run are the caller's to fix (a missing key,
    // an unknown model), but they are not malformed requests: report them as a conflict with the server's setup.
    if (error.code === "invalid_input") return { code: "BAD_REQUEST", message: error.message };
    if (error.code === "not_found") return { code: "NOT_FOUND", message: error.message };
    if (error.code === "authentication" || error.code === "provider_error") {
      return { code: "CONFLICT", message: error.message };
    }
  }
  if (error instanceof SyntaxError) return { code: "BAD_REQUEST", message: "request body is not valid JSON" };
  return { code: "INTERNAL", message: "internal error" };
}
