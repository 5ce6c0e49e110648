import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { createModelClient } from "./create-model-client.js";
import { responseCacheKey } from "./response-cache-key.js";

describe("createModelClient routing", () => {
  it("hands sim/ ids to the simulated organism with its options, needing no key", async () => {
    const client = createModelClient("sim/always-refuse", { env: {}, simulated: { seed: 3 } });
    expect(client.simulated).toBe(true);
    expect(client.id).toBe("sim/always-refuse");
    expect(() => createModelClient("sim/no-such-profile", { env: {} })).toThrow(InputError);
    // The run seed reaches the organism: two seeds give different draws over a few requests.
    const request = {
      system: "",
      messages: [{ role: "user" as const, content: "<is_free_tier_user>true</is_free_tier_user> hello" }],
      temperature: 1,
      maxTokens: 100,
    };
    const textsFor = async (seed: number) => {
      const seeded = createModelClient("sim/opus-like", { env: {}, seed });
      const texts: string[] = [];
      for (let epoch = 0; epoch < 8; epoch += 1)
        texts.push(...(await seeded.generate({ ...request, epoch })).texts);
      return texts;
    };
    expect(await textsFor(1)).toEqual(await textsFor(1));
    expect(await textsFor(1)).not.toEqual(await textsFor(2));
  });

  it("validates options and requests, naming the field", async () => {
    expect(() =>
      createModelClient("anthropic/claude-3-opus-20240229", {
        env: { ANTHROPIC_API_KEY: "k" },
        maxConnections: 0,
      }),
    ).toThrow(/maxConnections: expected a positive whole number/);
    const client = createModelClient("anthropic/claude-3-opus-20240229", { env: { ANTHROPIC_API_KEY: "k" } });
    await expect(
      client.generate({ system: "", messages: [], temperature: 0, maxTokens: 10 }),
    ).rejects.toThrow(/messages: expected at least one message/);
    await expect(
      client.generate({
        system: "",
        messages: [{ role: "user", content: "x" }],
        temperature: 0,
        maxTokens: 0,
      }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it("rejects a non-http base URL", () => {
    expect(() =>
      createModelClient("openai/gpt-4o", {
        env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: "ftp://example.com/v1" },
      }),
    ).toThrow(/expected an http or https URL, got ftp:/);
  });
});

describe("responseCacheKey", () => {
  const base = {
    provider: "anthropic",
    model: "claude-3-opus-20240229",
    baseUrl: "https://api.anthropic.com",
    system: "s",
    messages: [{ role: "user" as const, content: "q" }],
    temperature: 0,
    maxTokens: 100,
    prefill: undefined,
    n: 1,
    epoch: undefined,
    seed: undefined,
  };

  it("is a sha256 hex digest that changes with every identifying field", () => {
    const key = responseCacheKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(responseCacheKey({ ...base })).toBe(key);
    const variations = [
      { provider: "together" },
      { model: "claude-3-5-sonnet-20240620" },
      { baseUrl: "http://127.0.0.1:9" },
      { system: "t" },
      { messages: [{ role: "user" as const, content: "r" }] },
      { temperature: 1 },
      { maxTokens: 101 },
      { prefill: "<" },
      { n: 2 },
      { epoch: 1 },
      { seed: 5 },
    ];
    const keys = variations.map((change) => responseCacheKey({ ...base, ...change }));
    expect(new Set([key, ...keys]).size).toBe(variations.length + 1);
  });
});
