import { describe, expect, it } from "vitest";
import { classifyProviderError, redact } from "./provider-errors.js";

describe("redact", () => {
  it("removes the API key and any password written into a URL", () => {
    const text = "could not reach https://proxy-user:hunter2@proxy.example/v1 with key sk-test-123456";
    expect(redact(text, "sk-test-123456")).toBe(
      "could not reach https://proxy-user:[redacted]@proxy.example/v1 with key [redacted]",
    );
    // Ordinary addresses and host:port are left alone.
    expect(redact("mail ops@example.com at http://127.0.0.1:8000/v1", undefined)).toBe(
      "mail ops@example.com at http://127.0.0.1:8000/v1",
    );
  });

  it("is applied to any error a call turns into", () => {
    const error = classifyProviderError(new Error("fetch https://user:s3cret@host.example/v1 failed"), {
      provider: "openai-compatible",
      modelId: "openai-compatible/m",
      modelName: "m",
      baseUrl: "https://user:s3cret@host.example/v1",
      apiKeyEnv: undefined,
      apiKey: undefined,
      timeoutMs: 1000,
    });
    expect(error.message).not.toContain("s3cret");
  });
});

describe("base URLs with credentials", () => {
  it("are refused with a message that does not repeat the password", async () => {
    const { createModelClient } = await import("./create-model-client.js");
    expect(() =>
      createModelClient("openai-compatible/m", { baseUrl: "https://user:s3cret@host.example/v1", env: {} }),
    ).toThrow(/carries a user name or password/);
    try {
      createModelClient("openai-compatible/m", { baseUrl: "https://user:s3cret@host.example/v1", env: {} });
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cret");
    }
  });
});
