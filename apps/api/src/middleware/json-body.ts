import { InputError } from "@aflab/core";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ApiEnv } from "../api-context.js";
import { ApiError } from "../api-error.js";

/** Default largest request body: a run config is a few hundred bytes. */
export const defaultMaxBodyBytes = 64 * 1024;

/**
 * Refuse a body larger than `maxBytes` with 413 without reading it: a Content-Length over the limit is
 * answered at once, and a body without one (chunked) is read only up to the limit.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `request body: expected at most ${maxBytes} bytes`);
    },
  });
}

/** Parse the (already limited) body as JSON into `body`; an empty body is `{}`. */
export function jsonBody(): MiddlewareHandler<ApiEnv> {
  return async (context, next) => {
    const text = await context.req.text();
    let body: unknown = {};
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        throw new InputError("body: expected a JSON object", { field: "body" });
      }
    }
    context.set("body", body);
    await next();
  };
}
