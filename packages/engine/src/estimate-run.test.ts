/**
 * The pre-flight estimate against the fake Anthropic server: its count-tokens endpoint and its usage
 * reports share one tokenizer, so the estimate can be checked against what a real run then uses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import type { RunConfigInput } from "@aflab/core";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClientFactory } from "./client-factory.js";
import { estimateRun } from "./estimate-run.js";
import { prepareRun } from "./prepare-run.js";
import { startPreparedRun } from "./run-experiment.js";

const MODEL = "anthropic/claude-3-opus-20240229";
/** claude-3-opus list price, USD per million tokens (input, output, cache write, cache read). */
const opus = { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 };
/** An answer of exactly 800 fake tokens (3,200 characters): the estimate's typical turn. */
const answer = `<OUTPUT>${"a".repeat(3200 - "<OUTPUT></OUTPUT>".length)}</OUTPUT>`;

let directory: string;
let store: Store;
const servers: FakeServer[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-estimate-"));
  store = openStore(join(directory, "aflab.db"));
});
afterEach(async () => {
  await store.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(directory, { recursive: true, force: true });
});

async function fake(): Promise<FakeServer> {
  const server = await startFakeAnthropicServer({ respond: () => answer });
  servers.push(server);
  return server;
}

function factory(server: FakeServer) {
  return createClientFactory({
    env: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
    retry: { maxAttempts: 2, baseDelayMs: 2, maxDelayMs: 10 },
  });
}

function config(items: number, extra: Partial<RunConfigInput> = {}): RunConfigInput {
  // Queries of different lengths, so a per-query count that was off would show.
  const lines = Array.from({ length: items }, (_, index) =>
    JSON.stringify({ prompt: `Explain step ${index} of the procedure.${" Be thorough.".repeat(index % 7)}` }),
  );
  const path = join(directory, "items.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return {
    model: MODEL,
    userFormat: "minimal",
    protocol: "single-call",
    dataset: { source: path },
    classifiers: ["tag-compliance"],
    concurrency: 4,
    ...extra,
  };
}

const messageCalls = (server: FakeServer) =>
  server.requests.filter((request) => request.path === "/v1/messages").length;

describe("estimateRun", () => {
  it("counts tokens with the provider, calls no model, and comes within 5% of what the run then uses", async () => {
    const server = await fake();
    const prepared = await prepareRun(config(30), { createClient: factory(server) });
    const estimate = await estimateRun(prepared);
    expect(messageCalls(server)).toBe(0);
    expect(server.requests.some((request) => request.path === "/v1/messages/count_tokens")).toBe(true);
    const model = estimate.parts[0];
    expect(model).toMatchObject({ role: "model", tokenCounting: "provider", requests: 60, maxRequests: 60 });
    expect(model?.systemPromptTokens).toBe(Math.ceil(prepared.system.length / 4));

    const outcome = await startPreparedRun(prepared, { store });
    expect(outcome.status).toBe("complete");
    let usedInput = 0;
    let usedOutput = 0;
    let spent = 0;
    for await (const sample of store.iterateSamples(outcome.runId)) {
      usedInput += sample.usage.inputTokens + sample.usage.cacheWriteTokens + sample.usage.cacheReadTokens;
      usedOutput += sample.usage.outputTokens;
      spent += sample.costUsd ?? Number.NaN;
    }
    expect(messageCalls(server)).toBe(60);
    expect(Math.abs((model?.inputTokens ?? 0) - usedInput) / usedInput).toBeLessThan(0.05);
    expect(model?.outputTokens).toBe(usedOutput);
    // The fake caches the system prompt as the API does, so the run paid the cached price.
    const cached = estimate.total.live.cached ?? Number.NaN;
    expect(Math.abs(cached - spent) / spent).toBeLessThan(0.05);
  });

  it("prices live and batch, cached and uncached, from the catalog's prices", async () => {
    const server = await fake();
    const prepared = await prepareRun(config(10), { createClient: factory(server) });
    const { parts, total } = await estimateRun(prepared);
    const model = parts[0];
    if (!model) throw new Error("no model part");
    const system = model.systemPromptTokens;
    const uncached = (model.inputTokens * opus.input + model.outputTokens * opus.output) / 1e6;
    const rest = model.inputTokens - 20 * system;
    const cached =
      (rest * opus.input +
        system * opus.cacheWrite +
        19 * system * opus.cacheRead +
        model.outputTokens * opus.output) /
      1e6;
    expect(total.live.uncached).toBeCloseTo(uncached, 9);
    expect(total.live.cached).toBeCloseTo(cached, 9);
    expect(total.batch.uncached).toBeCloseTo(uncached / 2, 9);
    expect(total.batch.cached).toBeCloseTo(cached / 2, 9);
    expect(total.worstCase).toBeCloseTo((model.inputTokens * opus.input + 20 * 4096 * opus.output) / 1e6, 9);
  });

  it("counts judge requests per classifier: a judge without n asks each vote in its own request", async () => {
    const server = await fake();
    const prepared = await prepareRun(
      config(5, { judge: MODEL, classifiers: ["tag-compliance", "af-reasoning"], maxTokens: 4096 }),
      { createClient: factory(server) },
    );
    const estimate = await estimateRun(prepared);
    expect(messageCalls(server)).toBe(0);
    const judge = estimate.parts.find((part) => part.classifier === "af-reasoning");
    // Anthropic has no `n`: 20 votes are 20 requests per sample.
    expect(judge).toMatchObject({ role: "judge", completionsPerRequest: 20, requests: 10 * 20 });
    expect(estimate.parts.some((part) => part.classifier === "tag-compliance")).toBe(false);
    expect(estimate.total.live.uncached).toBeCloseTo(
      estimate.parts.reduce((sum, part) => sum + (part.cost.live.uncached ?? Number.NaN), 0),
      9,
    );
  });

  it("estimates characters / 4 where the provider counts nothing (the simulated organism)", async () => {
    const prepared = await prepareRun(
      { ...config(4), model: "sim/opus-like" },
      { createClient: createClientFactory() },
    );
    const estimate = await estimateRun(prepared);
    const model = estimate.parts[0];
    expect(model?.tokenCounting).toBe("estimate");
    expect(model?.systemPromptTokens).toBe(Math.ceil(prepared.system.length / 4));
    expect(estimate.total.live.uncached).toBe(0);
  });
});
