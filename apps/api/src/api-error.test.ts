import { InputError, NotFoundError, ProviderError, runConfigSchema } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { ApiError, apiErrorCodes, normaliseError, statusOf } from "./api-error.js";

describe("normaliseError", () => {
  it("maps input errors to BAD_REQUEST naming the field", () => {
    expect(normaliseError(new InputError("expected a positive number", { field: "epochs" }))).toEqual({
      code: "BAD_REQUEST",
      message: "expected a positive number (field epochs)",
    });
  });

  it("lists every path of a zod failure", () => {
    const result = runConfigSchema.safeParse({ model: "x", epochs: -1 });
    if (result.success) throw new Error("expected the config to be refused");
    const body = normaliseError(result.error);
    expect(body.code).toBe("BAD_REQUEST");
    expect(body.message).toContain("model:");
    expect(body.message).toContain("epochs:");
  });

  it("maps not-found errors and API errors to their codes", () => {
    expect(normaliseError(new NotFoundError("run r not found"))).toEqual({
      code: "NOT_FOUND",
      message: "run r not found",
    });
    expect(normaliseError(new ApiError("CONFLICT", "busy")).code).toBe("CONFLICT");
  });

  it("hides the message of unexpected errors and never carries a stack", () => {
    const body = normaliseError(new TypeError("cannot read secretThing of undefined at /srv/app.js:10"));
    expect(body).toEqual({ code: "INTERNAL", message: "internal error" });
    expect(Object.keys(body)).toEqual(["code", "message"]);
  });

  it("scrubs key-shaped strings from provider messages", () => {
    const error = new ProviderError("rejected key sk-proj-abcdefghijklmnopqrstuvwx", {
      provider: "openai",
      status: 401,
      isRetryable: false,
      code: "authentication",
    });
    const body = normaliseError(error);
    expect(body.message).not.toContain("abcdefghijklmnop");
    expect(body.message).toContain("[redacted]");
  });

  it("gives each code one status", () => {
    expect(apiErrorCodes.map(statusOf)).toEqual([400, 401, 403, 404, 409, 413, 429, 500]);
  });
});
