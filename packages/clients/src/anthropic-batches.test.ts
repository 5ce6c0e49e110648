import { afterEach, describe, expect, it } from "vitest";
import type { BatchItemResult } from "./batches.js";
import { createModelClient } from "./create-model-client.js";
import { startFakeAnthropicServer } from "./testing/fake-anthropic-server.js";
import type { FakeServer } from "./testing/fake-shared.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const request = (content: string) => ({
  system: "You answer briefly.",
  messages: [{ role: "user" as const, content }],
  temperature: 1,
  maxTokens: 100,
});

async function collect(results: AsyncIterable<BatchItemResult>): Promise<BatchItemResult[]> {
  const all: BatchItemResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

describe("Anthropic Message Batches against the fake", () => {
  it("submits, waits out processing, reads results by custom id at half price, with partial failures", async () => {
    const server = await startFakeAnthropicServer({
      respond: (input) => `<OUTPUT>${input.messages[0]?.content}</OUTPUT>`,
      batchProcessingMs: 150,
      batchResult: (customId) =>
        customId === "b_1" ? "errored" : customId === "b_2" ? "expired" : "succeeded",
    });
    servers.push(server);
    const client = createModelClient("anthropic/claude-3-opus-20240229", {
      env: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
    });
    const api = client.batches;
    if (!api) throw new Error("no batch API");
    const items = ["zero", "one", "two", "three"].map((text, index) => ({
      customId: `b_${index}`,
      request: request(text),
    }));
    const submitted = await api.submit(items, "b0");
    expect(submitted).toMatchObject({
      state: "in_progress",
      counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    });
    const created = server.requests.find((entry) => entry.path === "/v1/messages/batches");
    const body = created?.body as { requests: Array<{ custom_id: string; params: { model: string } }> };
    expect(body.requests.map((entry) => entry.custom_id)).toEqual(["b_0", "b_1", "b_2", "b_3"]);
    expect(body.requests[0]?.params.model).toBe("claude-3-opus-20240229");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ended = await api.retrieve(submitted.providerBatchId);
    expect(ended).toMatchObject({
      state: "ended",
      counts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 1 },
    });
    const byId = new Map(items.map((item) => [item.customId, item.request]));
    const results = await collect(api.results(submitted.providerBatchId, (id) => byId.get(id)));
    expect(results.map((result) => [result.customId, result.type])).toEqual([
      ["b_0", "succeeded"],
      ["b_1", "errored"],
      ["b_2", "expired"],
      ["b_3", "succeeded"],
    ]);
    const first = results[0];
    if (first?.type !== "succeeded") throw new Error("expected a reply");
    expect(first.result.texts).toEqual(["<OUTPUT>zero</OUTPUT>"]);
    // Half the list price (claude-3-opus: $15 in, $75 out, $18.75 cache write, $1.50 cache read per million).
    const usage = first.result.usage;
    const list =
      (usage.inputTokens * 15 +
        usage.outputTokens * 75 +
        usage.cacheWriteTokens * 18.75 +
        usage.cacheReadTokens * 1.5) /
      1e6;
    expect(first.result.costUsd).toBeCloseTo(list / 2, 12);
    expect((await api.listRecent(10)).map((entry) => entry.providerBatchId)).toEqual([
      submitted.providerBatchId,
    ]);
  });

  it("cancels a batch in progress: its requests end canceled", async () => {
    const server = await startFakeAnthropicServer({ batchProcessingMs: 60_000 });
    servers.push(server);
    const client = createModelClient("anthropic/claude-3-opus-20240229", {
      env: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
    });
    const api = client.batches;
    if (!api) throw new Error("no batch API");
    const submitted = await api.submit([{ customId: "c_0", request: request("hi") }], "b0");
    expect((await api.cancel(submitted.providerBatchId)).state).toBe("canceling");
    const ended = await api.retrieve(submitted.providerBatchId);
    expect(ended).toMatchObject({ state: "ended", counts: { canceled: 1 } });
    const results = await collect(api.results(submitted.providerBatchId, () => undefined));
    expect(results).toEqual([
      { customId: "c_0", type: "canceled", message: "the request was canceled by the provider" },
    ]);
  });
});
