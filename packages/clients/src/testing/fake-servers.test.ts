import { seededRandom } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeAnthropicServer } from "./fake-anthropic-server.js";
import { startFakeOpenAIServer } from "./fake-openai-server.js";
import type { FakeServer } from "./fake-shared.js";

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const messagesBody = {
  model: "claude-3-opus-20240229",
  max_tokens: 50,
  messages: [{ role: "user", content: "hello there" }],
};

describe("fake Anthropic server", () => {
  it("accepts the key as x-api-key or bearer, and answers a wrong key with a 401 error body", async () => {
    const server = await startFakeAnthropicServer({ apiKey: "k1" });
    servers.push(server);
    const url = `${server.baseUrl}/v1/messages`;
    expect((await post(url, { "x-api-key": "k1" }, messagesBody)).status).toBe(200);
    expect((await post(url, { authorization: "Bearer k1" }, messagesBody)).status).toBe(200);
    const rejected = await post(url, { "x-api-key": "k2" }, messagesBody);
    expect(rejected.status).toBe(401);
    expect(await rejected.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key" },
    });
    expect(server.requests.every((request) => !("x-api-key" in request.headers))).toBe(true);
  });

  it("returns a message object with usage and rate-limit headers", async () => {
    const server = await startFakeAnthropicServer({ apiKey: "k1", respond: () => ["one ", "two"] });
    servers.push(server);
    const response = await post(`${server.baseUrl}/v1/messages`, { "x-api-key": "k1" }, messagesBody);
    const message = (await response.json()) as Record<string, unknown>;
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-3-opus-20240229",
      content: [
        { type: "text", text: "one " },
        { type: "text", text: "two" },
      ],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: {
        input_tokens: 3,
        output_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(String(message.id)).toMatch(/^msg_/);
    expect(response.headers.get("request-id")).toBeTruthy();
    expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBe("4000");
    expect(Number.isNaN(Date.parse(response.headers.get("anthropic-ratelimit-tokens-reset") ?? ""))).toBe(
      false,
    );
  });

  it("answers scripted faults with the right statuses, error types and retry-after", async () => {
    const server = await startFakeAnthropicServer({
      apiKey: "k1",
      faultSequence: [
        { kind: "rate-limit", retryAfterSeconds: 3 },
        "overloaded",
        "server-error",
        "not-found",
      ],
    });
    servers.push(server);
    const seen: Array<[number, string, string | null]> = [];
    for (let index = 0; index < 4; index += 1) {
      const response = await post(`${server.baseUrl}/v1/messages`, { "x-api-key": "k1" }, messagesBody);
      const body = (await response.json()) as { error: { type: string } };
      seen.push([response.status, body.error.type, response.headers.get("retry-after")]);
    }
    expect(seen).toEqual([
      [429, "rate_limit_error", "3"],
      [529, "overloaded_error", null],
      [500, "api_error", null],
      [404, "not_found_error", null],
    ]);
    expect(server.requests.map((request) => request.fault)).toEqual([
      "rate-limit",
      "overloaded",
      "server-error",
      "not-found",
    ]);
  });

  it("rejects an invalid body with invalid_request_error", async () => {
    const server = await startFakeAnthropicServer({ apiKey: "k1" });
    servers.push(server);
    const response = await post(`${server.baseUrl}/v1/messages`, { "x-api-key": "k1" }, { model: "m" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });

  it("holds extended thinking to the API's rules and signs the thinking it sends", async () => {
    const server = await startFakeAnthropicServer({
      apiKey: "k1",
      respond: () => ({
        blocks: [
          { type: "thinking", thinking: "weighing it" },
          { type: "text", text: "done" },
        ],
      }),
    });
    servers.push(server);
    const url = `${server.baseUrl}/v1/messages`;
    const thinking = { type: "enabled", budget_tokens: 1024 };
    const refused = async (body: Record<string, unknown>) => {
      const response = await post(url, { "x-api-key": "k1" }, { ...messagesBody, max_tokens: 2048, ...body });
      expect(response.status).toBe(400);
      return ((await response.json()) as { error: { message: string } }).error.message;
    };
    expect(await refused({ thinking, max_tokens: 1024 })).toContain("`max_tokens` must be greater");
    expect(await refused({ thinking, temperature: 0.5 })).toContain("`temperature` may only be set to 1");
    expect(
      await refused({
        thinking,
        messages: [...messagesBody.messages, { role: "assistant", content: "Sure" }],
      }),
    ).toContain("must start with a thinking block");
    const ok = await post(url, { "x-api-key": "k1" }, { ...messagesBody, max_tokens: 2048, thinking });
    const message = (await ok.json()) as {
      content: Array<Record<string, string>>;
      usage: { output_tokens: number };
    };
    expect(message.content[0]).toMatchObject({ type: "thinking", thinking: "weighing it" });
    expect(message.content[0]?.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // Thinking is billed as output, as the real API bills it.
    expect(message.usage.output_tokens).toBe(
      Math.ceil("weighing it".length / 4) + Math.ceil("done".length / 4),
    );
  });

  it("draws the same faults for the same seed", async () => {
    const draw = async (seed: number) => {
      const server = await startFakeAnthropicServer({
        apiKey: "k1",
        seed,
        faults: { rateLimit: 0.3, serverError: 0.2 },
      });
      servers.push(server);
      for (let index = 0; index < 30; index += 1)
        await post(`${server.baseUrl}/v1/messages`, { "x-api-key": "k1" }, messagesBody);
      return server.requests.map((request) => request.fault);
    };
    const first = await draw(7);
    expect(await draw(7)).toEqual(first);
    expect(first.filter((fault) => fault !== "none").length).toBeGreaterThan(3);
    expect(await draw(8)).not.toEqual(first);
  });
});

describe("fake OpenAI server", () => {
  it("returns chat.completion objects with n choices, usage and x-ratelimit headers", async () => {
    const server = await startFakeOpenAIServer({ apiKey: "k1", respond: () => ["a", "bb"] });
    servers.push(server);
    const response = await post(
      `${server.baseUrl}/chat/completions`,
      { authorization: "Bearer k1" },
      { model: "gpt-4o", n: 3, messages: [{ role: "user", content: "12345678" }] },
    );
    const completion = (await response.json()) as {
      object: string;
      choices: Array<{ index: number; message: { content: string }; finish_reason: string }>;
      usage: Record<string, unknown>;
    };
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
      [0, "a"],
      [1, "bb"],
      [2, "a"],
    ]);
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2,
      completion_tokens: 3,
      total_tokens: 5,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(response.headers.get("x-ratelimit-reset-requests")).toMatch(/ms$/);
  });

  it("lists models and answers a wrong key with an OpenAI error body", async () => {
    const server = await startFakeOpenAIServer({ apiKey: "k1", models: ["gpt-4o"] });
    servers.push(server);
    const models = await fetch(`${server.baseUrl}/models`, { headers: { authorization: "Bearer k1" } });
    expect(await models.json()).toMatchObject({ object: "list", data: [{ id: "gpt-4o", object: "model" }] });
    const rejected = await post(`${server.baseUrl}/chat/completions`, { authorization: "Bearer nope" }, {});
    expect(rejected.status).toBe(401);
    expect(await rejected.json()).toEqual({
      error: {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
  });
});

describe("seededRandom", () => {
  it("is deterministic and stays in [0, 1)", () => {
    const first = seededRandom(3);
    const second = seededRandom(3);
    const values = Array.from({ length: 1000 }, () => first());
    expect(Array.from({ length: 1000 }, () => second())).toEqual(values);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});
