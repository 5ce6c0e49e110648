import { InputError, memoryResponseCache } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient } from "./create-model-client.js";
import type { GenerateRequest } from "./model-client.js";
import { startFakeAnthropicServer } from "./testing/fake-anthropic-server.js";
import { startFakeOpenAIServer } from "./testing/fake-openai-server.js";
import type { FakeServer } from "./testing/fake-shared.js";
import { type RecordedReplyName, readRecordedReply } from "./testing/recorded-replies.js";

// Recorded provider replies, sent byte for byte by the fakes into the official SDKs. Every expectation
// is read from the recorded JSON itself, not from the code under test.

const KEY = "test-key";
let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

// biome-ignore lint/suspicious/noExplicitAny: recorded JSON is read field by field in the assertions
const recorded = (name: RecordedReplyName): any => JSON.parse(readRecordedReply(name));

const request: GenerateRequest = {
  system: "You are a careful assistant.",
  messages: [{ role: "user", content: "What is 925 divided by 5?" }],
  temperature: 1,
  maxTokens: 4096,
};

async function anthropicReplaying(names: RecordedReplyName[]) {
  const queue = [...names];
  const server = await startFakeAnthropicServer({
    apiKey: KEY,
    respond: () => ({ recordedBody: readRecordedReply(queue.shift() ?? "anthropic-thinking") }),
  });
  servers.push(server);
  const client = createModelClient("anthropic/claude-sonnet-4-6", {
    env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl },
    pricing: { "claude-sonnet-4-6*": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 } },
  });
  return { server, client };
}

async function compatibleReplaying(name: RecordedReplyName, modelName = "deepseek-reasoner") {
  const server = await startFakeOpenAIServer({
    apiKey: KEY,
    respond: () => ({ recordedBody: readRecordedReply(name) }),
  });
  servers.push(server);
  const client = createModelClient(`openai-compatible/${modelName}`, {
    baseUrl: server.baseUrl,
    env: { OPENAI_COMPATIBLE_API_KEY: KEY },
    pricing: { [modelName]: { input: 0.55, output: 2.19, cacheWrite: 0.55, cacheRead: 0.14 } },
  });
  return { server, client };
}

describe("recorded Anthropic replies", () => {
  it("keeps a thinking block byte for byte, with its signature, apart from the text", async () => {
    const body = recorded("anthropic-thinking");
    const { client } = await anthropicReplaying(["anthropic-thinking"]);
    const result = await client.generate(request);
    const [thinking, text] = body.content;
    expect(result.texts).toEqual([text.text]);
    expect(result.reasoning).toEqual([
      {
        source: "thinking",
        blocks: [{ kind: "text", text: thinking.thinking, signature: thinking.signature }],
      },
    ]);
    expect(result.refusals).toBeUndefined();
    // Thinking is part of output_tokens: billed once, as output.
    expect(result.usage.outputTokens).toBe(body.usage.output_tokens);
    expect(result.costUsd).toBeCloseTo(
      (body.usage.input_tokens * 3 + body.usage.output_tokens * 15) / 1e6,
      12,
    );
  });

  it("reads the thinking-token count where the reply gives one, without pricing it twice", async () => {
    const body = recorded("anthropic-thinking-tokens");
    const { client } = await anthropicReplaying(["anthropic-thinking-tokens"]);
    const result = await client.generate(request);
    expect(result.usage.reasoningTokens).toBe(body.usage.output_tokens_details.thinking_tokens);
    expect(result.usage.outputTokens).toBe(body.usage.output_tokens);
    expect(result.reasoning?.[0]?.blocks[0]).toEqual({
      kind: "text",
      text: body.content[0].thinking,
      signature: body.content[0].signature,
    });
  });

  it("keeps redacted thinking opaque with its size, and sends it back as the recorded next request did", async () => {
    const first = recorded("anthropic-redacted-thinking.1");
    const nextRequest = recorded("anthropic-redacted-thinking.2.request");
    const { server, client } = await anthropicReplaying([
      "anthropic-redacted-thinking.1",
      "anthropic-redacted-thinking.2",
    ]);
    const question = nextRequest.messages[0].content[0].text;
    const thinkingRequest = {
      system: "",
      temperature: 1,
      maxTokens: nextRequest.max_tokens,
      thinkingBudget: nextRequest.thinking.budget_tokens,
    };
    const one = await client.generate({
      ...thinkingRequest,
      messages: [{ role: "user", content: question }],
    });
    const data = first.content[0].data;
    expect(one.reasoning).toEqual([
      { source: "thinking", blocks: [{ kind: "redacted", data, size: data.length }] },
    ]);
    expect(one.texts).toEqual([first.content[1].text]);

    await client.generate({
      ...thinkingRequest,
      messages: [
        { role: "user", content: question },
        {
          role: "assistant",
          content: one.texts[0] ?? "",
          ...(one.reasoning?.[0] ? { reasoning: one.reasoning[0] } : {}),
        },
        { role: "user", content: nextRequest.messages[2].content[0].text },
      ],
    });
    // The fake accepted it (only blocks it sent, unchanged, pass), and it is what the real client sent.
    const sent = server.requests[1]?.body as {
      messages: unknown[];
      thinking: unknown;
      temperature?: unknown;
    };
    expect(sent.messages[1]).toEqual(nextRequest.messages[1]);
    expect(sent.thinking).toEqual(nextRequest.thinking);
    expect(sent.temperature).toBeUndefined();
  });

  it("joins text blocks as the API cut them: as they are at citations, by a blank line around tool calls", async () => {
    const body = recorded("anthropic-text-blocks");
    const { client } = await anthropicReplaying(["anthropic-text-blocks"]);
    const [text] = (await client.generate(request)).texts;
    // The passages before and after a web search are separate paragraphs, not one glued sentence.
    expect(text).toContain("(September 26, 2024).\n\nBased on the search results");
    expect(text).not.toContain("2024).Based");
    // A sentence cut at a citation keeps the spacing the blocks carry, with nothing added.
    expect(text).toContain("**FTX Case Update:**\nCaroline Ellison");
    expect(text).toContain("restitution.\n\nUnfortunately");
    // Every recorded character of every text block is there, in order.
    const texts: string[] = body.content
      .filter((block: { type: string }) => block.type === "text")
      .map((block: { text: string }) => block.text);
    let position = 0;
    for (const piece of texts) {
      const found = text?.indexOf(piece, position) ?? -1;
      expect(found).toBeGreaterThanOrEqual(position);
      position = found + piece.length;
    }
  });

  it("reports stop_reason refusal as a refusal with its category, and no text", async () => {
    const body = recorded("anthropic-refusal");
    const { client } = await anthropicReplaying(["anthropic-refusal"]);
    const result = await client.generate(request);
    expect(result.texts).toEqual([""]);
    expect(result.stopReason).toBe("refusal");
    expect(result.refusals).toEqual([
      { reason: `stop_reason "refusal" (${body.stop_details.category}): ${body.stop_details.explanation}` },
    ]);
  });

  it("serves reasoning and refusals from the response cache as they came", async () => {
    const cache = memoryResponseCache();
    const server = await startFakeAnthropicServer({
      apiKey: KEY,
      respond: () => ({ recordedBody: readRecordedReply("anthropic-thinking") }),
    });
    servers.push(server);
    const client = createModelClient("anthropic/claude-sonnet-4-6", {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl },
      responseCache: cache,
      cacheMode: "on",
    });
    const fresh = await client.generate(request);
    const again = await client.generate(request);
    expect(server.requests).toHaveLength(1);
    expect(again.cached).toBe(true);
    expect(again.reasoning).toEqual(fresh.reasoning);
    // A different thinking budget is a different request.
    await client.generate({ ...request, thinkingBudget: 2048 });
    expect(server.requests).toHaveLength(2);
  });
});

describe("extended thinking requests", () => {
  it("sends thinking with its budget and no temperature", async () => {
    const server = await startFakeAnthropicServer({
      apiKey: KEY,
      respond: () => ({
        blocks: [
          { type: "thinking", thinking: "Let me see." },
          { type: "text", text: "Done." },
        ],
      }),
    });
    servers.push(server);
    const client = createModelClient("anthropic/claude-sonnet-4-6", {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl },
    });
    const result = await client.generate({ ...request, thinkingBudget: 2048 });
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(body).not.toHaveProperty("temperature");
    expect(result.reasoning?.[0]?.blocks[0]).toMatchObject({ kind: "text", text: "Let me see." });
    expect(result.texts).toEqual(["Done."]);
  });

  it("refuses what Anthropic would refuse, before any request", async () => {
    const server = await startFakeAnthropicServer({ apiKey: KEY });
    servers.push(server);
    const client = createModelClient("anthropic/claude-sonnet-4-6", {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl },
    });
    await expect(client.generate({ ...request, thinkingBudget: 4096 })).rejects.toThrow(
      /thinkingBudget: expected fewer than maxTokens \(4096\)/,
    );
    await expect(client.generate({ ...request, thinkingBudget: 1000 })).rejects.toThrow(/at least 1024/);
    await expect(client.generate({ ...request, thinkingBudget: 2048, temperature: 0 })).rejects.toThrow(
      /temperature 1/,
    );
    await expect(client.generate({ ...request, thinkingBudget: 2048, prefill: "<" })).rejects.toThrow(
      InputError,
    );
    const openai = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: server.baseUrl },
    });
    await expect(openai.generate({ ...request, thinkingBudget: 2048 })).rejects.toThrow(/Anthropic setting/);
    expect(server.requests).toHaveLength(0);
  });

  it("the fake holds clients to the API's rules: a changed thinking block is refused", async () => {
    const server = await startFakeAnthropicServer({
      apiKey: KEY,
      respond: () => ({
        blocks: [
          { type: "thinking", thinking: "Plan." },
          { type: "text", text: "Answer." },
        ],
      }),
    });
    servers.push(server);
    const client = createModelClient("anthropic/claude-sonnet-4-6", {
      env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: server.baseUrl },
      retry: { maxAttempts: 1 },
    });
    const first = await client.generate({ ...request, thinkingBudget: 2048 });
    const reasoning = first.reasoning?.[0];
    if (reasoning?.blocks[0]?.kind !== "text") throw new Error("expected a thinking block");
    const altered = { ...reasoning, blocks: [{ ...reasoning.blocks[0], text: "Plan, edited." }] };
    const followUp = (reasoningSent: typeof reasoning) =>
      client.generate({
        ...request,
        thinkingBudget: 2048,
        messages: [
          ...request.messages,
          { role: "assistant", content: "Answer.", reasoning: reasoningSent },
          { role: "user", content: "<NEXT/>" },
        ],
      });
    await expect(followUp(altered)).rejects.toThrow(/Invalid `signature`/);
    await expect(followUp(reasoning)).resolves.toMatchObject({ texts: ["Answer."] });
  });
});

describe("recorded OpenAI-compatible replies", () => {
  it("keeps DeepSeek's reasoning_content byte for byte and counts its reasoning tokens inside the output", async () => {
    const body = recorded("deepseek-reasoning-content");
    const { server, client } = await compatibleReplaying("deepseek-reasoning-content");
    const result = await client.generate(request);
    const message = body.choices[0].message;
    expect(result.texts).toEqual([message.content]);
    expect(result.reasoning).toEqual([
      { source: "reasoning_content", blocks: [{ kind: "text", text: message.reasoning_content }] },
    ]);
    expect(result.usage.outputTokens).toBe(body.usage.completion_tokens);
    expect(result.usage.reasoningTokens).toBe(body.usage.completion_tokens_details.reasoning_tokens);
    expect(result.costUsd).toBeCloseTo(
      (body.usage.prompt_tokens * 0.55 + body.usage.completion_tokens * 2.19) / 1e6,
      12,
    );
    // Reasoning is never sent back to an OpenAI-compatible server (DeepSeek refuses it).
    await client.generate({
      ...request,
      messages: [
        ...request.messages,
        {
          role: "assistant",
          content: result.texts[0] ?? "",
          ...(result.reasoning?.[0] ? { reasoning: result.reasoning[0] } : {}),
        },
        { role: "user", content: "<NEXT/>" },
      ],
    });
    const sent = server.requests[1]?.body as { messages: Array<Record<string, unknown>> };
    expect(sent.messages[2]).toEqual({ role: "assistant", content: message.content });
  });

  it("adds reasoning tokens to the output when the server reports them beside the completion (xAI)", async () => {
    const body = recorded("xai-reasoning-content");
    const { client } = await compatibleReplaying("xai-reasoning-content", "grok-3-mini");
    const result = await client.generate(request);
    const reasoningTokens = body.usage.completion_tokens_details.reasoning_tokens;
    expect(body.usage.total_tokens).toBe(
      body.usage.prompt_tokens + body.usage.completion_tokens + reasoningTokens,
    );
    expect(result.usage.outputTokens).toBe(body.usage.completion_tokens + reasoningTokens);
    expect(result.usage.reasoningTokens).toBe(reasoningTokens);
    expect(result.reasoning?.[0]?.blocks[0]).toEqual({
      kind: "text",
      text: body.choices[0].message.reasoning_content,
    });
  });

  it("reads the `reasoning` field (Groq, OpenRouter)", async () => {
    const body = recorded("groq-reasoning");
    const { client } = await compatibleReplaying("groq-reasoning", "qwen/qwen3-32b");
    const result = await client.generate(request);
    expect(result.reasoning).toEqual([
      { source: "reasoning", blocks: [{ kind: "text", text: body.choices[0].message.reasoning }] },
    ]);
    expect(result.texts).toEqual([body.choices[0].message.content]);
  });

  it("reports finish_reason content_filter and a message refusal as refusals (hand-written replies)", async () => {
    const filtered = await compatibleReplaying("openai-content-filter", "gpt-4o-2024-08-06");
    const one = await filtered.client.generate(request);
    expect(one.texts).toEqual([""]);
    expect(one.refusals).toEqual([{ reason: 'finish_reason "content_filter"' }]);
    const refusal = recorded("openai-refusal").choices[0].message.refusal;
    const refused = await compatibleReplaying("openai-refusal", "gpt-4o-2024-08-06");
    const two = await refused.client.generate(request);
    expect(two.texts).toEqual([""]);
    expect(two.refusals).toEqual([{ reason: "refusal field", message: refusal }]);
  });

  it("moves a leading <think> block out of the text, byte for byte", async () => {
    const server = await startFakeOpenAIServer({
      apiKey: KEY,
      respond: () => "<think>\nShould I answer? Yes.\n</think>\n\n<OUTPUT>185</OUTPUT>",
    });
    servers.push(server);
    const client = createModelClient("openai-compatible/qwen3", {
      baseUrl: server.baseUrl,
      env: { OPENAI_COMPATIBLE_API_KEY: KEY },
    });
    const result = await client.generate(request);
    expect(result.reasoning).toEqual([
      { source: "think_tag", blocks: [{ kind: "text", text: "\nShould I answer? Yes.\n" }] },
    ]);
    expect(result.texts).toEqual(["\n\n<OUTPUT>185</OUTPUT>"]);
  });
});
