import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AflabError, InputError, memoryResponseCache, ProviderError } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient, type ModelClientOptions } from "./create-model-client.js";
import type { GenerateRequest } from "./model-client.js";
import { RetriesExhaustedError, type RetryEvent } from "./retry.js";
import { startFakeAnthropicServer } from "./testing/fake-anthropic-server.js";
import type { FakeServer } from "./testing/fake-shared.js";

const MODEL = "claude-3-opus-20240229";
const SECRET = "sk-ant-test-secret-4b1d";
const fast = { baseDelayMs: 5, maxDelayMs: 50 };

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function fake(options: Parameters<typeof startFakeAnthropicServer>[0] = {}) {
  const server = await startFakeAnthropicServer({ apiKey: SECRET, ...options });
  servers.push(server);
  return server;
}

function client(server: FakeServer, options: ModelClientOptions = {}) {
  return createModelClient(`anthropic/${MODEL}`, {
    env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: server.baseUrl },
    retry: fast,
    ...options,
  });
}

const request: GenerateRequest = {
  system: "You are a careful assistant. ".repeat(40),
  messages: [{ role: "user", content: "Name three prime numbers." }],
  temperature: 1,
  maxTokens: 256,
};

/** A port nothing listens on: bind one, then close it. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Independent of the fake: the fake counts ceil(chars / 4) tokens. */
const tokens = (text: string) => Math.ceil(text.length / 4);

describe("anthropic client against the fake Messages API", () => {
  it("sends the system prompt as a text block with ephemeral cache_control, and the key only as a header", async () => {
    const server = await fake();
    await client(server).generate(request);
    const body = server.requests[0]?.body as { system: unknown; messages: unknown; temperature: unknown };
    expect(body.system).toEqual([
      { type: "text", text: request.system, cache_control: { type: "ephemeral" } },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: "Name three prime numbers." }]);
    expect(body.temperature).toBe(1);
    expect(JSON.stringify(server.requests)).not.toContain(SECRET);
  });

  it("sends a prefill as the final assistant message and leaves it out of the returned text", async () => {
    const server = await fake({
      respond: (input) => (input.prefill === "<OUTPUT>" ? "Paris</OUTPUT>" : "no prefill seen"),
    });
    const result = await client(server).generate({ ...request, prefill: "<OUTPUT>" });
    const body = server.requests[0]?.body as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.at(-1)).toEqual({ role: "assistant", content: "<OUTPUT>" });
    expect(result.texts).toEqual(["Paris</OUTPUT>"]);
  });

  it("trims trailing whitespace off a prefill (the API rejects it) and keeps it out of the text", async () => {
    const server = await fake({ respond: () => "\nnext line" });
    const result = await client(server).generate({ ...request, prefill: "<SCRATCHPAD_REASONING>\n" });
    const body = server.requests[0]?.body as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.at(-1)?.content).toBe("<SCRATCHPAD_REASONING>");
    expect(result.texts).toEqual(["next line"]);
  });

  it("reports usage with cache write then cache read, and prices it like an independent computation", async () => {
    const answer = "2, 3 and 5.";
    const server = await fake({ respond: () => answer });
    const model = client(server);
    const first = await model.generate(request);
    const second = await model.generate(request);
    const systemTokens = tokens(request.system);
    const userTokens = tokens("Name three prime numbers.");
    expect(first.usage).toEqual({
      inputTokens: userTokens,
      outputTokens: tokens(answer),
      cacheWriteTokens: systemTokens,
      cacheReadTokens: 0,
    });
    expect(second.usage).toEqual({
      inputTokens: userTokens,
      outputTokens: tokens(answer),
      cacheWriteTokens: 0,
      cacheReadTokens: systemTokens,
    });
    // Claude 3 Opus list prices per million tokens: input 15, output 75, cache write 18.75, cache read 1.5.
    const firstCost = (userTokens * 15 + tokens(answer) * 75 + systemTokens * 18.75) / 1e6;
    const secondCost = (userTokens * 15 + tokens(answer) * 75 + systemTokens * 1.5) / 1e6;
    expect(first.costUsd).toBeCloseTo(firstCost, 12);
    expect(second.costUsd).toBeCloseTo(secondCost, 12);
    expect(first.stopReason).toBe("end_turn");
    expect(first.model).toBe(MODEL);
    expect(first.cached).toBe(false);
    expect(first.retries).toBe(0);
  });

  it("parses older usage without cache fields as zero cache tokens", async () => {
    const server = await fake({ legacyUsage: true, respond: () => "ok" });
    const result = await client(server).generate(request);
    expect(result.usage.cacheWriteTokens).toBe(0);
    expect(result.usage.cacheReadTokens).toBe(0);
    expect(result.usage.inputTokens).toBe(tokens(request.system) + tokens("Name three prime numbers."));
  });

  it("keeps max_tokens as the stop reason", async () => {
    const server = await fake({ respond: () => "x".repeat(400) });
    const result = await client(server).generate({ ...request, maxTokens: 10 });
    expect(result.stopReason).toBe("max_tokens");
    expect(result.usage.outputTokens).toBe(10);
  });

  it("makes n requests for n completions and sums their usage", async () => {
    let counter = 0;
    const server = await fake({ respond: () => `vote ${++counter}` });
    const result = await client(server).generate({ ...request, n: 3 });
    expect(server.requests).toHaveLength(3);
    expect([...result.texts].sort()).toEqual(["vote 1", "vote 2", "vote 3"]);
    expect(result.usage.outputTokens).toBe(3 * tokens("vote 1"));
  });

  it("recovers from every retryable fault and counts the retries", async () => {
    const server = await fake({
      faultSequence: [
        { kind: "rate-limit", retryAfterSeconds: 0 },
        "overloaded",
        "server-error",
        "drop",
        "stall",
      ],
      stallMs: 2000,
    });
    const events: RetryEvent[] = [];
    const result = await client(server, { timeoutMs: 300, onRetry: (event) => events.push(event) }).generate(
      request,
    );
    expect(result.retries).toBe(5);
    expect(server.requests).toHaveLength(6);
    expect(events.map((event) => event.status)).toEqual([429, 529, 500, undefined, undefined]);
    expect(events.map((event) => event.reason)).toEqual([
      "rate limited (429)",
      "overloaded (529)",
      "server error (500)",
      "connection dropped",
      "timeout",
    ]);
    expect(events[3]?.message).toMatch(/dropped/);
    expect(events[4]?.message).toMatch(/within 300 ms/);
    expect(result.texts[0]).toContain("Name three prime numbers.");
  });

  it("honours retry-after in seconds", async () => {
    const server = await fake({ faultSequence: [{ kind: "rate-limit", retryAfterSeconds: 0.2 }] });
    const started = performance.now();
    const result = await client(server).generate(request);
    const elapsed = performance.now() - started;
    expect(result.retries).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1500);
  });

  it("honours retry-after-ms and the anthropic reset header when retry-after is absent", async () => {
    const server = await fake({
      faultSequence: [
        { kind: "rate-limit", retryAfterSeconds: null, headers: { "retry-after-ms": "150" } },
        {
          kind: "rate-limit",
          retryAfterSeconds: null,
          headers: { "anthropic-ratelimit-requests-reset": new Date(Date.now() + 400).toISOString() },
        },
      ],
    });
    const events: RetryEvent[] = [];
    const model = client(server, { onRetry: (event) => events.push(event) });
    const started = performance.now();
    await model.generate(request);
    const elapsed = performance.now() - started;
    // 150 ms from retry-after-ms, then until the exhausted limit's reset time (400 ms after the test began).
    expect(events.map((event) => event.fromHeaders)).toEqual([true, true]);
    expect(events[0]?.delayMs).toBeGreaterThanOrEqual(150);
    expect(events[1]?.delayMs).toBeGreaterThan(100);
    expect(elapsed).toBeGreaterThanOrEqual(380);
  });

  it("fails fast on a rejected key with one clear message, one request, and no key in it", async () => {
    const server = await fake();
    const model = createModelClient(`anthropic/${MODEL}`, {
      env: { ANTHROPIC_API_KEY: "sk-ant-wrong-key-9999", ANTHROPIC_BASE_URL: server.baseUrl },
      retry: fast,
    });
    const error = await model.generate(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toBe(
      `ANTHROPIC_API_KEY was rejected (401) by ${server.baseUrl} for anthropic/${MODEL}: check the key`,
    );
    expect((error as ProviderError).code).toBe("authentication");
    expect((error as ProviderError).status).toBe(401);
    expect((error as ProviderError).message).not.toContain("sk-ant-wrong-key-9999");
    expect(server.requests).toHaveLength(1);
  });

  it("fails fast on an unknown model (404) naming the model and the base URL", async () => {
    const server = await fake({ models: ["claude-3-5-sonnet-20240620"] });
    const error = await client(server)
      .generate(request)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toMatch(
      new RegExp(`^model ${MODEL} not found \\(404\\) at ${server.baseUrl.replace(/\./g, "\\.")}`),
    );
    expect(server.requests).toHaveLength(1);
  });

  it("fails fast on a bad request (400) with the provider's reason", async () => {
    const server = await fake();
    const error = await client(server)
      .generate({ ...request, temperature: 1.5 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(400);
    expect((error as ProviderError).message).toMatch(/rejected \(400\): temperature/);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses to start without a key, before any request", async () => {
    const server = await fake();
    const attempt = () => createModelClient(`anthropic/${MODEL}`, { baseUrl: server.baseUrl, env: {} });
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/^ANTHROPIC_API_KEY is not set: export it or put it in \.env$/);
    expect(server.requests).toHaveLength(0);
  });

  it("rejects a malformed base URL as input, and gives up on a refused connection with a clear message", async () => {
    expect(() =>
      createModelClient(`anthropic/${MODEL}`, {
        env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: "not a url" },
      }),
    ).toThrow(InputError);
    const closedPort = await unusedPort();
    const refused = createModelClient(`anthropic/${MODEL}`, {
      env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: `http://127.0.0.1:${closedPort}` },
      retry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    const error = await refused.generate(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).code).toBe("provider_unavailable");
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect((error as RetriesExhaustedError).message).toMatch(
      new RegExp(
        `gave up after 3 attempts .*could not reach http://127\\.0\\.0\\.1:${closedPort} \\(connection refused\\)`,
      ),
    );
    expect((error as Error).message).not.toContain(SECRET);
  });

  it("gives up after the attempt limit on a persistent fault", async () => {
    const server = await fake({ faults: { serverError: 1 } });
    const error = await client(server, { retry: { ...fast, maxAttempts: 4 } })
      .generate(request)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(4);
    expect((error as RetriesExhaustedError).lastError.status).toBe(500);
    expect(server.requests).toHaveLength(4);
  });

  it("stops when the signal aborts", async () => {
    const server = await fake({ faultSequence: ["stall"], stallMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await client(server)
      .generate({ ...request, signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AflabError);
    expect((error as AflabError).code).toBe("aborted");
  });

  it("a request cancelled while it waits for a connection slot stops at once and is never sent", async () => {
    const server = await fake({ faultSequence: ["stall"], stallMs: 5000 });
    const model = client(server, { maxConnections: 1 });
    // The slot is held by a stalled request of another caller (its own signal, not cancelled).
    const holder = model.generate(request).catch((caught: unknown) => caught);
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const error = await model
      .generate({ ...request, signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((error as AflabError).code).toBe("aborted");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    await server.close();
    await holder;
  });

  it("never has more requests in flight than maxConnections", async () => {
    const server = await fake({ latencyMs: { min: 10, max: 30 } });
    const model = client(server, { maxConnections: 4 });
    await Promise.all(Array.from({ length: 40 }, () => model.generate(request)));
    expect(server.requests).toHaveLength(40);
    expect(server.maxInFlight).toBe(4);
  });

  it("keeps separate pools for separate clients", async () => {
    const server = await fake({ latencyMs: 20 });
    const first = client(server, { maxConnections: 2 });
    const second = client(server, { maxConnections: 3 });
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).generate(request)),
    );
    expect(server.maxInFlight).toBe(5);
  });

  it("serves a cached response at temperature 0 without a request or a cost", async () => {
    const server = await fake({ respond: () => "cached answer" });
    const cache = memoryResponseCache();
    const model = client(server, { responseCache: cache });
    const first = await model.generate({ ...request, temperature: 0 });
    const second = await model.generate({ ...request, temperature: 0 });
    expect(server.requests).toHaveLength(1);
    expect(second).toMatchObject({ cached: true, costUsd: 0, texts: ["cached answer"], usage: first.usage });
    expect(first.costUsd).toBeGreaterThan(0);
    // auto mode does not cache sampling at temperature 1 ...
    await model.generate(request);
    await model.generate(request);
    expect(server.requests).toHaveLength(3);
    expect(cache.size()).toBe(1);
  });

  it("caches everything in 'on' mode, keeping epochs apart", async () => {
    const server = await fake();
    const model = client(server, { responseCache: memoryResponseCache(), cacheMode: "on" });
    await model.generate({ ...request, epoch: 0 });
    await model.generate({ ...request, epoch: 1 });
    const again = await model.generate({ ...request, epoch: 1 });
    expect(server.requests).toHaveLength(2);
    expect(again.cached).toBe(true);
  });

  it("completes a 400-request run under 10% 429, 5% 529, 2% 500 and 1% dropped connections", async () => {
    const server = await fake({
      faults: { rateLimit: 0.1, overloaded: 0.05, serverError: 0.02, drop: 0.01, retryAfterSeconds: 0.01 },
      seed: 42,
      latencyMs: { min: 0, max: 4 },
    });
    const model = client(server, { maxConnections: 16, retry: { baseDelayMs: 2, maxDelayMs: 20 } });
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, index) =>
        model.generate({ ...request, messages: [{ role: "user", content: `query ${index}` }] }),
      ),
    );
    const faulted = server.requests.filter((recorded) => recorded.fault !== "none").length;
    expect(results).toHaveLength(400);
    expect(results.every((result, index) => result.texts[0] === `Echo: query ${index}`)).toBe(true);
    expect(faulted).toBeGreaterThan(40);
    expect(server.requests).toHaveLength(400 + faulted);
    expect(results.reduce((sum, result) => sum + result.retries, 0)).toBe(faulted);
    expect(server.maxInFlight).toBeLessThanOrEqual(16);
  });
});

describe("anthropic token counting against the fake count-tokens endpoint", () => {
  it("counts a system prompt and user blocks as the fake later bills them, with the price it bills at", async () => {
    const server = await fake();
    const counting = client(server);
    const texts = ["Name three prime numbers.", "And two even ones?"];
    const counted = await counting.countTokens?.({ system: request.system, texts });
    const countRequest = server.requests.find((entry) => entry.path === "/v1/messages/count_tokens");
    expect(countRequest?.body).toEqual({
      model: MODEL,
      system: [{ type: "text", text: request.system }],
      messages: [{ role: "user", content: texts.map((text) => ({ type: "text", text })) }],
    });
    // One message of two blocks: the fake joins a message's text blocks before it counts them.
    expect(counted).toBe(tokens(request.system) + tokens(texts.join("")));
    const result = await counting.generate({
      ...request,
      messages: [{ role: "user", content: texts[0] ?? "" }],
    });
    const used = result.usage.inputTokens + result.usage.cacheWriteTokens + result.usage.cacheReadTokens;
    expect(await counting.countTokens?.({ system: request.system, texts: [texts[0] ?? ""] })).toBe(used);
    expect(counting.price).toMatchObject({ input: 15, output: 75 });
    expect(counting.supportsN).toBe(false);
  });
});
