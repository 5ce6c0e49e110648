import { afterEach, describe, expect, it } from "vitest";
import type { BatchItemResult } from "./batches.js";
import { createModelClient } from "./create-model-client.js";
import { openaiBatchStatus, openaiResultOf } from "./openai-batches.js";
import { type FakeOpenAIServer, startFakeOpenAIServer } from "./testing/fake-openai-server.js";

const servers: FakeOpenAIServer[] = [];
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

async function fakeClient(options: Parameters<typeof startFakeOpenAIServer>[0]) {
  const server = await startFakeOpenAIServer({
    respond: (input) => `<OUTPUT>${input.messages[0]?.content}</OUTPUT>`,
    ...options,
  });
  servers.push(server);
  const client = createModelClient("openai/gpt-4o-mini", {
    env: { OPENAI_API_KEY: server.apiKey, OPENAI_BASE_URL: server.baseUrl },
  });
  const api = client.batches;
  if (!api) throw new Error("no batch API");
  return { server, api };
}

const wait = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe("OpenAI Batch API against the fake", () => {
  it("uploads a JSONL file, waits out processing, reads output and error files at half price", async () => {
    const { server, api } = await fakeClient({
      batchProcessingMs: 150,
      batchResult: (customId) => (customId === "b_1" ? "errored" : "succeeded"),
    });
    const items = ["zero", "one", "two"].map((text, index) => ({
      customId: `b_${index}`,
      request: request(text),
    }));
    const submitted = await api.submit(items, "b0");
    expect(submitted).toMatchObject({ state: "in_progress", label: "b0" });
    expect(submitted.counts.processing).toBe(3);
    expect(server.batchSubmissions.map((entry) => entry.customIds)).toEqual([["b_0", "b_1", "b_2"]]);
    const upload = server.requests.find((entry) => entry.path === "/v1/files");
    expect(upload?.headers["content-type"]).toMatch(/^multipart\/form-data/);
    const created = server.requests.find((entry) => entry.path === "/v1/batches")?.body;
    expect(created).toMatchObject({ endpoint: "/v1/chat/completions", completion_window: "24h" });

    expect((await api.retrieve(submitted.providerBatchId)).state).toBe("in_progress");
    await wait(200);
    // The first look after the delay finds it finalizing; processing then ends it.
    let status = await api.retrieve(submitted.providerBatchId);
    for (let attempt = 0; status.state !== "ended" && attempt < 100; attempt++) {
      await wait(20);
      status = await api.retrieve(submitted.providerBatchId);
    }
    expect(status).toMatchObject({
      state: "ended",
      counts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 },
    });
    const byId = new Map(items.map((item) => [item.customId, item.request]));
    const results = await collect(api.results(submitted.providerBatchId, (id) => byId.get(id)));
    expect(results.map((result) => [result.customId, result.type])).toEqual([
      ["b_0", "succeeded"],
      ["b_2", "succeeded"],
      ["b_1", "errored"],
    ]);
    const first = results[0];
    if (first?.type !== "succeeded") throw new Error("expected a reply");
    expect(first.result.texts).toEqual(["<OUTPUT>zero</OUTPUT>"]);
    // Half of gpt-4o-mini's price: $0.15 and $0.60 per million input and output tokens.
    const usage = first.result.usage;
    expect(first.result.costUsd).toBeCloseTo(
      (usage.inputTokens * 0.075 + usage.outputTokens * 0.3 + usage.cacheReadTokens * 0.0375) / 1e6,
      12,
    );
    expect(results[2]).toMatchObject({ type: "errored", message: expect.stringMatching(/^status 500/) });
  });

  it("ends an expiring batch `expired`, its unfinished requests expired; lists and cancels batches", async () => {
    const { api } = await fakeClient({
      batchProcessingMs: 300,
      batchResult: (customId) => (customId === "e_1" ? "expired" : "succeeded"),
    });
    const items = ["zero", "one"].map((text, index) => ({ customId: `e_${index}`, request: request(text) }));
    const submitted = await api.submit(items, "bexpire");
    let status = await api.retrieve(submitted.providerBatchId);
    for (let attempt = 0; status.state !== "ended" && attempt < 100; attempt++) {
      await wait(20);
      status = await api.retrieve(submitted.providerBatchId);
    }
    expect(status.counts).toEqual({ processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 });
    const results = await collect(api.results(submitted.providerBatchId, () => undefined));
    expect(results.map((result) => [result.customId, result.type])).toEqual([
      ["e_0", "succeeded"],
      ["e_1", "expired"],
    ]);

    const other = await api.submit([{ customId: "c_0", request: request("later") }], "bcancel");
    const recent = await api.listRecent(10);
    expect(recent.map((entry) => entry.label)).toEqual(["bcancel", "bexpire"]);
    expect((await api.cancel(other.providerBatchId)).state).toBe("canceling");
    status = await api.retrieve(other.providerBatchId);
    for (let attempt = 0; status.state !== "ended" && attempt < 100; attempt++) {
      await wait(20);
      status = await api.retrieve(other.providerBatchId);
    }
    expect(status.counts.canceled).toBe(1);
    const canceled = await collect(api.results(other.providerBatchId, () => undefined));
    expect(canceled).toMatchObject([{ customId: "c_0", type: "canceled" }]);
  });

  it("gives no results for a batch that failed validation", async () => {
    const { api } = await fakeClient({ batchFails: () => true });
    const submitted = await api.submit([{ customId: "f_0", request: request("x") }], "bfail");
    const status = await api.retrieve(submitted.providerBatchId);
    expect(status).toMatchObject({ state: "ended", counts: { errored: 0, processing: 0 } });
    expect(await collect(api.results(submitted.providerBatchId, () => undefined))).toEqual([]);
  });
});

describe("reading OpenAI batch lines", () => {
  const read = () => {
    throw new Error("not a reply");
  };
  it("reads error-file lines by their code and non-200 responses as errored", () => {
    expect(
      openaiResultOf(
        { id: "r", custom_id: "a", response: null, error: { code: "batch_expired", message: "late" } },
        read,
      ),
    ).toEqual({ customId: "a", type: "expired", message: "batch_expired: late" });
    expect(
      openaiResultOf(
        { id: "r", custom_id: "b", response: null, error: { code: "batch_cancelled", message: "stop" } },
        read,
      ),
    ).toMatchObject({ type: "canceled" });
    expect(
      openaiResultOf(
        {
          id: "r",
          custom_id: "c",
          response: { status_code: 429, request_id: "q", body: { error: { message: "slow down" } } },
          error: null,
        },
        read,
      ),
    ).toEqual({ customId: "c", type: "errored", message: "status 429: slow down" });
    // A 200 body that cannot be read as a reply is errored, not fatal.
    expect(
      openaiResultOf(
        { id: "r", custom_id: "d", response: { status_code: 200, body: {} }, error: null },
        read,
      ),
    ).toEqual({ customId: "d", type: "errored", message: "not a reply" });
    expect("malformed" in openaiResultOf({ response: null }, read)).toBe(true);
  });

  it("counts what an ended batch did not finish as expired, canceled or errored by its status", () => {
    const base = { id: "batch_1", object: "batch" as const, created_at: 1_700_000_000 };
    const counts = { total: 10, completed: 6, failed: 1 };
    expect(openaiBatchStatus({ ...base, status: "in_progress", request_counts: counts }).counts).toEqual({
      processing: 3,
      succeeded: 6,
      errored: 1,
      canceled: 0,
      expired: 0,
    });
    expect(openaiBatchStatus({ ...base, status: "expired", request_counts: counts })).toMatchObject({
      state: "ended",
      counts: { processing: 0, expired: 3 },
    });
    expect(openaiBatchStatus({ ...base, status: "cancelled", request_counts: counts }).counts.canceled).toBe(
      3,
    );
    expect(openaiBatchStatus({ ...base, status: "cancelling", request_counts: counts }).state).toBe(
      "canceling",
    );
    expect(openaiBatchStatus({ ...base, status: "finalizing", request_counts: counts }).state).toBe(
      "in_progress",
    );
    expect(openaiBatchStatus({ ...base, status: "validating" }).createdAt).toBe("2023-11-14T22:13:20.000Z");
  });
});
