import { InputError, memoryResponseCache } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { createModelClient } from "./create-model-client.js";
import type { ProvidersConfig } from "./providers-config.js";
import {
  type CaptureServer,
  type FakeServer,
  startCaptureServer,
  startFakeAnthropicServer,
  startFakeOpenAIServer,
} from "./testing/index.js";

const anthropicKey = "sk-ant-api03-bound-anthropic-key-000000";
const openaiKey = "sk-proj-bound-openai-key-1111111111111";
const compatibleKey = "compatible-key-2222222222";
const proxyKey = "proxy-key-3333333333333";
const allKeys = [anthropicKey, openaiKey, compatibleKey, proxyKey];

const request = {
  system: "s",
  messages: [{ role: "user" as const, content: "hello" }],
  temperature: 0,
  maxTokens: 16,
};

let opened: Array<CaptureServer | FakeServer> = [];
afterEach(async () => {
  await Promise.all(opened.map((server) => server.close()));
  opened = [];
});

async function capture(): Promise<CaptureServer> {
  const server = await startCaptureServer();
  opened.push(server);
  return server;
}

function refusal(make: () => unknown): InputError {
  try {
    make();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected the client to be refused");
}

describe("a key goes only to the base URL its provider entry names", () => {
  it("refuses to send ANTHROPIC_API_KEY or OPENAI_API_KEY to a base URL given for the run", async () => {
    const attacker = await capture();
    const env = { ANTHROPIC_API_KEY: anthropicKey, OPENAI_API_KEY: openaiKey };
    for (const [model, keyEnv, home] of [
      ["anthropic/claude-3-opus-20240229", "ANTHROPIC_API_KEY", "https://api.anthropic.com"],
      ["openai/gpt-4o", "OPENAI_API_KEY", "https://api.openai.com/v1"],
    ] as const) {
      const error = refusal(() => createModelClient(model, { baseUrl: attacker.baseUrl, env }));
      expect(error.field).toBe("baseUrl");
      expect(error.message).toContain(`baseUrl: ${keyEnv} is only sent to ${home}`);
      expect(error.message).toContain(attacker.baseUrl);
    }
    expect(attacker.requests).toHaveLength(0);
  });

  it("sends the key where the operator's environment binds it (ANTHROPIC_BASE_URL)", async () => {
    const fake = await startFakeAnthropicServer({ apiKey: anthropicKey });
    opened.push(fake);
    const bound = { ANTHROPIC_API_KEY: anthropicKey, ANTHROPIC_BASE_URL: fake.baseUrl };
    await createModelClient("anthropic/claude-3-opus-20240229", { env: bound }).generate(request);
    // Naming the same host again as the run's base URL (trailing slash and case aside) is no change.
    const same = `${fake.baseUrl.replace("http://", "HTTP://")}/`;
    await createModelClient("anthropic/claude-3-opus-20240229", { env: bound, baseUrl: same }).generate(
      request,
    );
    expect(fake.requests).toHaveLength(2);
  });

  it("binds a configured provider's key to that provider's baseUrl", async () => {
    const attacker = await capture();
    const fake = await startFakeOpenAIServer({ apiKey: proxyKey });
    opened.push(fake);
    const providers: ProvidersConfig = {
      providers: { proxy: { type: "openai", baseUrl: fake.baseUrl, apiKeyEnv: "PROXY_KEY" } },
      models: {},
    };
    const env = { PROXY_KEY: proxyKey };
    const error = refusal(() =>
      createModelClient("proxy/gpt-4o", { providers, env, baseUrl: attacker.baseUrl }),
    );
    expect(error.message).toContain("PROXY_KEY is only sent to");
    await createModelClient("proxy/gpt-4o", { providers, env }).generate(request);
    expect(fake.requests).toHaveLength(1);
    expect(attacker.requests).toHaveLength(0);
  });

  it("lets an openai-compatible key follow the run's base URL unless OPENAI_COMPATIBLE_BASE_URL binds it", async () => {
    const ownServer = await startFakeOpenAIServer({ apiKey: compatibleKey });
    opened.push(ownServer);
    // The documented CLI case: the user names their own server and its key together.
    await createModelClient("openai-compatible/llama", {
      baseUrl: ownServer.baseUrl,
      env: { OPENAI_COMPATIBLE_API_KEY: compatibleKey },
    }).generate(request);
    expect(ownServer.requests).toHaveLength(1);

    const attacker = await capture();
    const error = refusal(() =>
      createModelClient("openai-compatible/llama", {
        baseUrl: attacker.baseUrl,
        env: { OPENAI_COMPATIBLE_API_KEY: compatibleKey, OPENAI_COMPATIBLE_BASE_URL: ownServer.baseUrl },
      }),
    );
    expect(error.message).toContain("OPENAI_COMPATIBLE_API_KEY is only sent to");
    expect(attacker.requests).toHaveLength(0);
  });

  it("sends no configured key to a keyless server, whatever else is in the environment", async () => {
    const keyless = await capture();
    const client = createModelClient("openai-compatible/llama", {
      baseUrl: keyless.baseUrl,
      env: { ANTHROPIC_API_KEY: anthropicKey, OPENAI_API_KEY: openaiKey, PROXY_KEY: proxyKey },
      retry: { maxAttempts: 1 },
    });
    await expect(client.generate(request)).rejects.toThrow();
    expect(keyless.requests.length).toBeGreaterThan(0);
    for (const key of allKeys) expect(keyless.received()).not.toContain(key);
  });
});

describe("the response cache", () => {
  it("never stores an answer that echoes a key", async () => {
    let answer = `here it is: ${openaiKey}`;
    const fake = await startFakeOpenAIServer({ apiKey: openaiKey, respond: () => answer });
    opened.push(fake);
    const cache = memoryResponseCache();
    const client = createModelClient("openai/gpt-4o", {
      env: { OPENAI_API_KEY: openaiKey, OPENAI_BASE_URL: fake.baseUrl },
      responseCache: cache,
    });
    expect((await client.generate(request)).texts).toEqual([`here it is: ${openaiKey}`]);
    // Not cached: the same temperature-0 request is asked again.
    await client.generate(request);
    expect(fake.requests).toHaveLength(2);
    answer = "a plain answer";
    await client.generate(request);
    expect((await client.generate(request)).cached).toBe(true);
    expect(fake.requests).toHaveLength(3);
  });
});
