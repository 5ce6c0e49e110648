/**
 * Runs that stop well: one owner per run (a lease), a circuit breaker for provider outages, and a store
 * file that vanishes mid-run. The provider is the fake Anthropic server on 127.0.0.1 behind the SDK.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type ChatMessage, createSimulatedClient } from "@aflab/clients";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { InputError, type RunConfigInput } from "@aflab/core";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.js";
import { createClientFactory } from "./client-factory.js";
import { resumeRun, startRun } from "./run-experiment.js";

const MODEL = "anthropic/claude-3-opus-20240229";
const organism = createSimulatedClient("opus-like");

async function organismAnswer(request: { system: string; messages: ChatMessage[] }): Promise<string> {
  const result = await organism.generate({
    system: request.system,
    messages: request.messages,
    temperature: 1,
    maxTokens: 4096,
  });
  return result.texts[0] ?? "";
}

let directory: string;
let store: Store;
const servers: FakeServer[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-stops-"));
  store = openStore(join(directory, "aflab.db"));
});
afterEach(async () => {
  await store.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(directory, { recursive: true, force: true });
});

async function fake(options: Parameters<typeof startFakeAnthropicServer>[0] = {}) {
  const server = await startFakeAnthropicServer({ respond: organismAnswer, ...options });
  servers.push(server);
  return server;
}

function factory(server: FakeServer, maxAttempts = 8) {
  return createClientFactory({
    env: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
    retry: { maxAttempts, baseDelayMs: 2, maxDelayMs: 10 },
  });
}

function config(items: number): RunConfigInput {
  const lines = Array.from({ length: items }, (_, index) =>
    JSON.stringify({ prompt: `Describe how to get past a turnstile (case ${index}).` }),
  );
  const path = join(directory, `items-${items}.jsonl`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return {
    model: MODEL,
    userFormat: "minimal",
    protocol: "single-call",
    dataset: { source: path },
    classifiers: ["tag-compliance"],
    concurrency: 8,
  };
}

function firstUserText(body: unknown): string {
  const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  const content = messages.find((message) => message.role === "user")?.content;
  if (typeof content === "string") return content;
  return Array.isArray(content)
    ? (content as Array<{ text: string }>).map((block) => block.text).join("")
    : "";
}

describe("the circuit breaker", () => {
  it("ends a run whose provider went away as interrupted (provider_unavailable), and it resumes", async () => {
    const answered = 20;
    const outage = await fake({
      faultSequence: [
        ...Array.from({ length: answered }, () => "none" as const),
        ...Array.from({ length: 20_000 }, () => "overloaded" as const),
      ],
    });
    const started = Date.now();
    const first = await startRun(config(100), {
      store,
      createClient: factory(outage),
      // Only the breaker may stop this run: errored samples in a row never would.
      consecutiveErrorLimit: 100_000,
      circuitBreaker: { threshold: 10, giveUpAfterMs: 300 },
    });
    const elapsed = Date.now() - started;
    expect(first.status).toBe("interrupted");
    expect(first.stopCode).toBe("provider_unavailable");
    expect(first.reason).toMatch(
      /^provider_unavailable: the provider did not answer for 0\.3 s after 10 unreachable or overloaded answers in a row \(last: overloaded \(529\)\)$/,
    );
    expect(await store.requireRun(first.runId)).toMatchObject({ status: "interrupted", error: first.reason });
    expect(elapsed).toBeLessThan(10_000);
    // Without the breaker all 180 remaining samples would have spent 8 attempts each: most were never asked.
    const asked = new Set(outage.requests.map((request) => firstUserText(request.body)));
    expect(asked.size).toBeLessThan(80);
    expect(outage.requests.length).toBeLessThan(answered + 8 * 80);
    expect((await store.finishedSampleKeys(first.runId)).size).toBe(answered);

    const recovered = await fake();
    const second = await resumeRun(first.runId, { store, createClient: factory(recovered) });
    expect(second.status).toBe("complete");
    expect(recovered.requests).toHaveLength(200 - answered);
    expect(await store.progress(first.runId)).toMatchObject({ total: 200, errored: 0 });
    expect((await store.finishedSampleKeys(first.runId)).size).toBe(200);
  }, 120_000);

  it("lets a run go on when the provider comes back within the bound", async () => {
    const outage = await fake({
      faultSequence: [
        ...Array.from({ length: 20 }, () => "none" as const),
        ...Array.from({ length: 40 }, () => "overloaded" as const),
      ],
    });
    const outcome = await startRun(config(50), {
      store,
      createClient: factory(outage, 30),
      circuitBreaker: { threshold: 10, giveUpAfterMs: 20_000 },
    });
    expect(outcome).toMatchObject({ status: "complete", errored: 0, stopCode: null, reason: null });
    expect(outage.requests).toHaveLength(100 + 40);
  }, 120_000);
});

describe("CircuitBreaker", () => {
  it("opens after the threshold of outage answers in a row, admits one probe, and closes on an answer", async () => {
    const gaveUp: string[] = [];
    const breaker = new CircuitBreaker({ threshold: 3, giveUpAfterMs: 60_000 }, (message) =>
      gaveUp.push(message),
    );
    const signal = new AbortController().signal;
    const retry = { modelId: "m", attempt: 1, delayMs: 0, message: "", fromHeaders: false };
    breaker.onRetry({ ...retry, status: undefined, reason: "connection refused" });
    breaker.onRetry({ ...retry, status: 503, reason: "HTTP 503" });
    // A rate limit is an answer: the provider is there, only busy with us.
    breaker.onRetry({ ...retry, status: 429, reason: "rate limited (429)" });
    breaker.onRetry({ ...retry, status: 529, reason: "overloaded (529)" });
    breaker.onRetry({ ...retry, status: 502, reason: "HTTP 502" });
    expect(breaker.open).toBe(false);
    breaker.onRetry({ ...retry, status: undefined, reason: "timeout" });
    expect(breaker.open).toBe(true);
    expect(await breaker.admit(signal)).toBe("probe");
    let secondAdmitted: string | undefined;
    const second = breaker.admit(signal).then((admission) => {
      secondAdmitted = admission;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(secondAdmitted).toBeUndefined();
    breaker.recordAnswer();
    await second;
    expect(secondAdmitted).toBe("go");
    expect(breaker.open).toBe(false);
    breaker.dispose();
    expect(gaveUp).toEqual([]);
  });

  it("gives up once when no answer comes within the bound, and then admits nothing", async () => {
    const gaveUp: string[] = [];
    const breaker = new CircuitBreaker({ threshold: 1, giveUpAfterMs: 30 }, (message) =>
      gaveUp.push(message),
    );
    const signal = new AbortController().signal;
    breaker.recordOutage("connection refused");
    expect(await breaker.admit(signal)).toBe("probe");
    const waiting = breaker.admit(signal);
    expect(await waiting).toBe("stop");
    expect(gaveUp).toEqual([
      "the provider did not answer for 0 s after 1 unreachable or overloaded answers in a row (last: connection refused)",
    ]);
    expect(await breaker.admit(signal)).toBe("stop");
  });
});

describe("run leases", () => {
  /** A run written but stopped before its first sample (cancelled once it has started). */
  async function stoppedRun(): Promise<string> {
    const cancelled = new AbortController();
    const server = await fake();
    const run = await startRun(config(5), {
      store,
      createClient: factory(server),
      signal: cancelled.signal,
      onEvent: (event) => {
        if (event.type === "run-start") cancelled.abort();
      },
    });
    expect(server.requests).toHaveLength(0);
    return run.runId;
  }

  it("takes over a lease whose process on this machine is gone, even before it expires", async () => {
    const runId = await stoppedRun();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    await store.acquireRunLease(runId, {
      owner: "killed",
      pid: dead,
      host: hostname(),
      ttlMs: 3_600_000,
      now: Date.now(),
    });
    const server = await fake();
    const outcome = await resumeRun(runId, { store, createClient: factory(server) });
    expect(outcome.status).toBe("complete");
    expect(server.requests).toHaveLength(10);
  }, 60_000);

  it("refuses a live lease of another machine until it expires, then takes it over", async () => {
    const runId = await stoppedRun();
    await store.acquireRunLease(runId, {
      owner: "elsewhere",
      pid: 1,
      host: "lab-9",
      ttlMs: 300,
      now: Date.now(),
    });
    const server = await fake();
    const refused = await resumeRun(runId, { store, createClient: factory(server) }).catch((error) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toMatch(
      new RegExp(`^run ${runId} is being run by pid 1@lab-9 since `),
    );
    expect(server.requests).toHaveLength(0);
    expect((await store.requireRun(runId)).status).toBe("interrupted");

    const queued = await resumeRun(runId, { store, createClient: factory(server), waitForLease: true });
    expect(queued.status).toBe("complete");
    expect(server.requests).toHaveLength(10);
  }, 60_000);
});

describe("a store file deleted mid-run", () => {
  it("fails the run instead of reporting it, and stops it early through the periodic check", async () => {
    const server = await fake();
    const path = join(directory, "doomed.db");
    const doomed = openStore(path);
    let ended = 0;
    let endedAtDeletion = 0;
    try {
      const outcome = startRun(
        { ...config(200), concurrency: 2 },
        {
          store: doomed,
          createClient: factory(server),
          leaseTtlMs: 60,
          onEvent: (event) => {
            if (event.type !== "sample-end") return;
            ended++;
            if (ended === 10) {
              unlinkSync(path);
              endedAtDeletion = ended;
            }
          },
        },
      );
      await expect(outcome).rejects.toThrow(
        `the store ${path} was deleted while in use: results written since are lost`,
      );
      expect(endedAtDeletion).toBe(10);
      // The renewal's check stopped the run long before its 400 samples.
      expect(ended).toBeLessThan(200);
    } finally {
      doomed.close();
    }
  }, 60_000);
});
