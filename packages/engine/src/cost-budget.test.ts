/**
 * A run's budget (`maxCostUsd`) against the fake Anthropic server, whose request log is the independent
 * record of what was asked (and so paid for).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { InputError, type RunConfigInput } from "@aflab/core";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClientFactory } from "./client-factory.js";
import { CostBudget } from "./cost-budget.js";
import { prepareRun } from "./prepare-run.js";
import { resumeRun, startRun } from "./run-experiment.js";
import { summarizeRun } from "./summarize.js";

const MODEL = "anthropic/claude-3-opus-20240229";
/** claude-3-opus list price, USD per million tokens. */
const opus = { input: 15, output: 75 };
const maxTokens = 200;

let directory: string;
let store: Store;
const servers: FakeServer[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-budget-"));
  store = openStore(join(directory, "aflab.db"));
});
afterEach(async () => {
  await store.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(directory, { recursive: true, force: true });
});

async function fake(): Promise<FakeServer> {
  // Longer than max tokens: every answer is billed at its max tokens, so a request costs its worst case.
  const server = await startFakeAnthropicServer({
    respond: () => `<OUTPUT>${"z".repeat(maxTokens * 8)}</OUTPUT>`,
    latencyMs: { min: 5, max: 30 },
  });
  servers.push(server);
  return server;
}

function factory(server: FakeServer) {
  return createClientFactory({
    env: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
    retry: { maxAttempts: 2, baseDelayMs: 2, maxDelayMs: 10 },
  });
}

function config(items: number, maxCostUsd: number | undefined): RunConfigInput {
  const lines = Array.from({ length: items }, (_, index) => JSON.stringify({ prompt: `Question ${index}?` }));
  const path = join(directory, "items.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return {
    model: MODEL,
    userFormat: "minimal",
    protocol: "single-call",
    dataset: { source: path },
    classifiers: ["tag-compliance"],
    concurrency: 4,
    maxTokens,
    ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
  };
}

const messageBodies = (server: FakeServer) =>
  server.requests.filter((request) => request.path === "/v1/messages").map((request) => request.body);

/** The most a request could cost, from its body as the fake received it: every character a token. */
function boundOf(body: unknown): number {
  const text = JSON.stringify(body);
  return (text.length * opus.input + maxTokens * opus.output) / 1e6;
}

async function storedSpend(runId: string): Promise<{ spent: number; samples: number }> {
  let spent = 0;
  let samples = 0;
  for await (const sample of store.iterateSamples(runId)) {
    spent += sample.costUsd ?? Number.NaN;
    samples++;
  }
  return { spent, samples };
}

describe("--max-cost", () => {
  it("stops within one request's worth of the budget, stores every paid request, and resumes with a higher one", async () => {
    const server = await fake();
    const budget = 0.3;
    const outcome = await startRun(config(40, budget), { createClient: factory(server), store });
    expect(outcome).toMatchObject({ status: "interrupted", stopCode: "budget" });
    expect(outcome.reason).toMatch(/^budget: \$0\.\d+ of the \$0\.3000 budget spent/);
    const first = await storedSpend(outcome.runId);
    const sent = messageBodies(server);
    // Every request that went out (and was billed) is a stored sample.
    expect(first.samples).toBe(sent.length);
    expect(first.spent).toBeLessThanOrEqual(budget);
    const oneRequest = Math.max(...sent.map(boundOf));
    expect(first.spent).toBeGreaterThanOrEqual(budget - oneRequest);
    expect((await store.getRun(outcome.runId))?.status).toBe("interrupted");

    const resumed = await resumeRun(outcome.runId, {
      createClient: factory(server),
      store,
      config: { maxCostUsd: 10 },
    });
    expect(resumed.status).toBe("complete");
    const all = await storedSpend(outcome.runId);
    expect(all.samples).toBe(80);
    // No request was made twice: 80 samples, 80 requests.
    expect(messageBodies(server)).toHaveLength(80);
    const report = await summarizeRun(store, outcome.runId);
    expect(report.budget?.limitUsd).toBe(10);
    expect(report.budget?.spentUsd).toBeCloseTo(all.spent, 9);
  });

  it("does not start when the first request alone could pass the budget", async () => {
    const server = await fake();
    const outcome = await startRun(config(3, 0.0001), { createClient: factory(server), store });
    expect(outcome).toMatchObject({ status: "interrupted", stopCode: "budget", done: 0 });
    expect(messageBodies(server)).toHaveLength(0);
  });

  it("refuses a model whose price is not known before anything is written", async () => {
    const server = await fake();
    await expect(
      prepareRun(
        { ...config(2, 1), model: "anthropic/claude-unpriced-9" },
        { createClient: factory(server) },
      ),
    ).rejects.toThrow(InputError);
  });
});

describe("CostBudget", () => {
  it("reserves worst cases, books real costs, and refuses from the first request that does not fit", () => {
    const stops: string[] = [];
    const budget = new CostBudget(1, 0.25, (message) => stops.push(message));
    budget.reserve(0.5);
    expect(() => budget.reserve(0.3)).toThrow(
      /budget: \$0\.2500 of the \$1\.00 budget spent and up to \$0\.5000 in flight/,
    );
    budget.settle(0.5, 0.1);
    expect(budget.spentUsd).toBeCloseTo(0.35, 12);
    // Once refused, it stays refused: the run issues no more requests, even ones that would fit.
    expect(() => budget.reserve(0.01)).toThrow();
    expect(stops).toHaveLength(1);
  });
});
