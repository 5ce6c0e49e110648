import { InputError, ProviderError } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient } from "./create-model-client.js";
import type { GenerateRequest } from "./model-client.js";
import { mergeProvidersConfigs } from "./providers-config.js";
import { RetriesExhaustedError, type RetryEvent } from "./retry.js";
import { startFakeOpenAIServer } from "./testing/fake-openai-server.js";
import type { FakeServer } from "./testing/fake-shared.js";

const SECRET = "sk-openai-test-secret-77";
const fast = { baseDelayMs: 5, maxDelayMs: 50 };

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function fake(options: Parameters<typeof startFakeOpenAIServer>[0] = {}) {
  const server = await startFakeOpenAIServer({ apiKey: SECRET, ...options });
  servers.push(server);
  return server;
}

const request: GenerateRequest = {
  system: "Judge the transcript and answer Yes or No. ".repeat(30),
  messages: [{ role: "user", content: "Transcript: I will comply to avoid being modified." }],
  temperature: 1,
  maxTokens: 128,
};
const tokens = (text: string) => Math.ceil(text.length / 4);

describe("openai client against the fake Chat Completions API", () => {
  it("sends n natively and reports cached prompt tokens apart from input tokens, priced independently", async () => {
    const server = await fake({ respond: () => ["Yes", "No", "Yes"] });
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      retry: fast,
    });
    const first = await model.generate({ ...request, n: 3 });
    const second = await model.generate({ ...request, n: 3 });
    expect(server.requests).toHaveLength(2);
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body.n).toBe(3);
    expect(body.max_completion_tokens).toBe(128);
    expect(body.messages).toEqual([
      { role: "system", content: request.system },
      { role: "user", content: request.messages[0]?.content },
    ]);
    expect(first.texts).toEqual(["Yes", "No", "Yes"]);
    expect(first.stopReason).toBe("stop");

    const systemTokens = tokens(request.system);
    const userTokens = tokens(request.messages[0]?.content ?? "");
    const outputTokens = 3 * 1; // "Yes", "No", "Yes" are one fake token each
    expect(first.usage).toEqual({
      inputTokens: systemTokens + userTokens,
      outputTokens,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    });
    expect(second.usage).toEqual({
      inputTokens: userTokens,
      outputTokens,
      cacheWriteTokens: 0,
      cacheReadTokens: systemTokens,
    });
    // gpt-4o per million: input 2.5, output 10, cached input 1.25.
    expect(first.costUsd).toBeCloseTo(((systemTokens + userTokens) * 2.5 + outputTokens * 10) / 1e6, 12);
    expect(second.costUsd).toBeCloseTo(
      (userTokens * 2.5 + outputTokens * 10 + systemTokens * 1.25) / 1e6,
      12,
    );
  });

  it("names OPENAI_API_KEY when the key is rejected, after exactly one request", async () => {
    const server = await fake();
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: "sk-wrong-000", OPENAI_BASE_URL: server.baseUrl },
      retry: fast,
    });
    const error = await model.generate(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toBe(
      `OPENAI_API_KEY was rejected (401) by ${server.baseUrl} for openai/gpt-4o: check the key`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("requires OPENAI_API_KEY before any request", () => {
    expect(() => createModelClient("openai/gpt-4o", { env: {} })).toThrow(/^OPENAI_API_KEY is not set/);
  });

  it("recovers from 429, 503, 500 and a dropped connection, honouring x-ratelimit reset durations", async () => {
    const server = await fake({
      faultSequence: [
        { kind: "rate-limit", retryAfterSeconds: null, headers: { "x-ratelimit-reset-requests": "120ms" } },
        "overloaded",
        "server-error",
        "drop",
      ],
    });
    const delays: number[] = [];
    const model = createModelClient("openai/gpt-4o-mini", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      retry: fast,
      onRetry: (event) => delays.push(event.delayMs),
    });
    const result = await model.generate(request);
    expect(result.retries).toBe(4);
    expect(server.requests).toHaveLength(5);
    expect(delays[0]).toBeGreaterThanOrEqual(120);
    expect(delays.slice(1).every((delay) => delay <= 50)).toBe(true);
  });

  it("reports an unknown model's cost as null, and uses a pricing override", async () => {
    const server = await fake({ respond: () => "abcdefgh" });
    const unknown = createModelClient("openai/my-private-model", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
    });
    expect((await unknown.generate(request)).costUsd).toBeNull();
    const priced = createModelClient("openai/my-private-model", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      pricing: { "my-private-*": { input: 1, output: 2, cacheWrite: 1, cacheRead: 0.5 } },
    });
    const result = await priced.generate(request);
    const expected =
      (result.usage.inputTokens * 1 + tokens("abcdefgh") * 2 + result.usage.cacheReadTokens * 0.5) / 1e6;
    expect(result.costUsd).toBeCloseTo(expected, 12);
  });

  it("lets a pricing override win over the built-in table, even a prefix over an exact entry", async () => {
    const server = await fake({ respond: () => "abcdefgh" });
    const model = createModelClient("openai/gpt-4.1", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      pricing: { "gpt-4*": { input: 7, output: 11, cacheWrite: 7, cacheRead: 3 } },
    });
    const result = await model.generate(request);
    const expected =
      (result.usage.inputTokens * 7 + tokens("abcdefgh") * 11 + result.usage.cacheReadTokens * 3) / 1e6;
    expect(result.costUsd).toBeCloseTo(expected, 12);
    // An override that does not know a price keeps it unknown: the cost is unknown, not a partial sum.
    const unknownOutput = createModelClient("openai/gpt-4.1", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      pricing: { "gpt-4.1": { input: 2, output: null, cacheWrite: 2, cacheRead: 0.5 } },
    });
    expect((await unknownOutput.generate(request)).costUsd).toBeNull();
  });
});

describe("openai-compatible and configured providers", () => {
  it("needs a base URL, from the option or OPENAI_COMPATIBLE_BASE_URL", async () => {
    expect(() => createModelClient("openai-compatible/meta-llama/Llama-3.1-405B", { env: {} })).toThrow(
      /needs a base URL: pass --base-url or set OPENAI_COMPATIBLE_BASE_URL/,
    );
    const server = await fake({ respond: () => "<request_fully_accepted/>" });
    const model = createModelClient("openai-compatible/meta-llama/Llama-3.1-405B", {
      env: { OPENAI_COMPATIBLE_BASE_URL: server.baseUrl, OPENAI_COMPATIBLE_API_KEY: SECRET },
      retry: fast,
    });
    const result = await model.generate({ ...request, n: 2 });
    // Compatible servers get max_tokens and, without supportsN, one request per completion.
    expect(server.requests).toHaveLength(2);
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body.model).toBe("meta-llama/Llama-3.1-405B");
    expect(body.max_tokens).toBe(128);
    expect(body.n).toBeUndefined();
    expect(result.texts).toEqual(["<request_fully_accepted/>", "<request_fully_accepted/>"]);
    expect(model.supportsPrefill).toBe(false);
    expect(model.provider).toBe("openai-compatible");
  });

  it("gives each completion its own seed when n is split into several requests", async () => {
    // A server that honours `seed` (vLLM does) answers identical requests identically: 20 judge votes
    // sent with one seed would be one vote counted 20 times.
    const server = await fake({
      respond: (input) => `seed ${String((input.body as { seed?: number }).seed)}`,
    });
    const model = createModelClient("openai-compatible/judge-model", {
      baseUrl: server.baseUrl,
      env: { OPENAI_COMPATIBLE_API_KEY: SECRET },
      retry: fast,
    });
    const seeded = await model.generate({ ...request, n: 3, seed: 40 });
    expect(server.requests.map((sent) => (sent.body as { seed?: number }).seed).sort()).toEqual([40, 41, 42]);
    expect(seeded.texts).toEqual(["seed 40", "seed 41", "seed 42"]);
    // Without a seed, none is invented.
    await model.generate({ ...request, n: 2 });
    expect(server.requests.slice(3).map((sent) => (sent.body as { seed?: number }).seed)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("backs off exponentially on a 503 even when the response carries rate-limit reset headers", async () => {
    // OpenAI sends x-ratelimit-* on every response; a limit that is not used up says nothing about an outage.
    const resetHeaders = {
      "x-ratelimit-remaining-requests": "4999",
      "x-ratelimit-reset-requests": "12ms",
      "x-ratelimit-remaining-tokens": "1999000",
      "x-ratelimit-reset-tokens": "0s",
    };
    const server = await fake({
      faultSequence: [
        { kind: "overloaded", headers: resetHeaders },
        { kind: "server-error", headers: resetHeaders },
      ],
    });
    const events: RetryEvent[] = [];
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      onRetry: (event) => events.push(event),
    });
    await model.generate(request);
    expect(events.map((event) => [event.status, event.fromHeaders])).toEqual([
      [503, false],
      [500, false],
    ]);
    // An explicit retry-after is still honoured on a 503.
    const told = await fake({
      faultSequence: [{ kind: "overloaded", headers: { ...resetHeaders, "retry-after-ms": "30" } }],
    });
    const toldEvents: RetryEvent[] = [];
    const toldModel = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: told.baseUrl },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      onRetry: (event) => toldEvents.push(event),
    });
    await toldModel.generate(request);
    expect(toldEvents[0]?.fromHeaders).toBe(true);
    expect(toldEvents[0]?.delayMs).toBeGreaterThanOrEqual(30);
  });

  it("fails at once on an exhausted quota (429 insufficient_quota) instead of retrying", async () => {
    const server = await fake({ faultSequence: [{ kind: "quota" }] });
    const events: RetryEvent[] = [];
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      onRetry: (event) => events.push(event),
    });
    await expect(model.generate(request)).rejects.toThrow(/quota is used up.*billing/);
    expect(events).toHaveLength(0);
    expect(server.requests.filter((recorded) => recorded.path.endsWith("/chat/completions"))).toHaveLength(1);
  });

  it("strips a prefill the model wrote itself when the server cannot continue a message", async () => {
    const server = await fake({ respond: () => "<OUTPUT>fine</OUTPUT>" });
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
    });
    const result = await model.generate({ ...request, prefill: "<OUTPUT>" });
    const body = server.requests[0]?.body as { messages: Array<{ role: string }> };
    expect(body.messages.at(-1)?.role).toBe("user");
    expect(result.texts).toEqual(["fine</OUTPUT>"]);
  });

  it("routes a named provider and a model alias from the providers config", async () => {
    const server = await fake({ latencyMs: 15 });
    const providers = mergeProvidersConfigs([
      {
        providers: {
          together: {
            type: "openai-compatible",
            baseUrl: server.baseUrl,
            apiKeyEnv: "TOGETHER_API_KEY",
            maxConnections: 2,
            supportsN: true,
            supportsPrefill: true,
          },
        },
        models: { "together/ft-abc": { provider: "together", model: "acct/Meta-Llama-3.1-70B-ft-abc" } },
      },
    ]);
    expect(() => createModelClient("together/ft-abc", { providers, env: {} })).toThrow(
      /^TOGETHER_API_KEY is not set/,
    );
    const env = { TOGETHER_API_KEY: SECRET };
    const aliased = createModelClient("together/ft-abc", { providers, env, retry: fast });
    await Promise.all(Array.from({ length: 6 }, () => aliased.generate({ ...request, n: 2, prefill: "<" })));
    const body = server.requests[0]?.body as Record<string, unknown> & { messages: Array<{ role: string }> };
    expect(body.model).toBe("acct/Meta-Llama-3.1-70B-ft-abc");
    expect(body.n).toBe(2);
    expect(body.messages.at(-1)).toEqual({ role: "assistant", content: "<" });
    expect(server.maxInFlight).toBe(2);
    expect(aliased.provider).toBe("together");
    expect(aliased.supportsPrefill).toBe(true);

    const direct = createModelClient("together/some-other-model", { providers, env });
    await direct.generate(request);
    const lastBody = server.requests.at(-1)?.body as Record<string, unknown> | undefined;
    expect(lastBody?.model).toBe("some-other-model");
  });

  it("rejects an unknown provider and a malformed model id as input", () => {
    expect(() => createModelClient("nowhere/model", { env: {} })).toThrow(InputError);
    expect(() => createModelClient("nowhere/model", { env: {} })).toThrow(/unknown provider "nowhere"/);
    expect(() => createModelClient("no-slash", { env: {} })).toThrow(/expected provider\/model/);
  });

  it("wraps exhausted retries with the attempt count", async () => {
    const server = await fake({ faults: { overloaded: 1 } });
    const model = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.baseUrl },
      retry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    const error = await model.generate(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect((error as RetriesExhaustedError).message).toMatch(
      /gave up after 3 attempts .*server error \(503\)/,
    );
  });
});
