import { type ApiErrorBody, InputError } from "@aflab/core";
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { ApiEnv } from "../api-context.js";
import { ApiError } from "../api-error.js";

/** What RFC 6750 allows in a bearer token; the middleware refuses any other header outright. */
const bearerToken = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * Check the write token before the server starts.
 * @throws InputError when it has characters a bearer header cannot carry
 */
export function checkApiToken(token: string): void {
  if (!bearerToken.test(token)) {
    throw new InputError(
      "AFLAB_API_TOKEN: expected letters, digits and . _ ~ + / - only (the characters a bearer token can carry)",
      { field: "AFLAB_API_TOKEN" },
    );
  }
}

/**
 * Write routes need `Authorization: Bearer <token>`, compared in constant time (Hono's `bearerAuth`
 * compares hashes and values without early exit). Without a configured token every write is 403.
 * @throws InputError at set-up when the configured token has characters a bearer token cannot carry
 */
export function writeAccess(token: string | undefined): MiddlewareHandler<ApiEnv> {
  if (!token) {
    return async () => {
      throw new ApiError("FORBIDDEN", "writes are disabled: set AFLAB_API_TOKEN");
    };
  }
  checkApiToken(token);
  const unauthorized: ApiErrorBody = {
    code: "UNAUTHORIZED",
    message: "expected an Authorization: Bearer <token> header with the API token",
  };
  return bearerAuth({
    token,
    noAuthenticationHeader: { message: unauthorized },
    // A malformed header is answered like a wrong token: 401, not Hono's 400, so nothing about the
    // token's expected shape is revealed.
    invalidAuthenticationHeader: { message: () => Response.json(unauthorized, { status: 401 }) },
    invalidToken: { message: unauthorized },
  });
}
