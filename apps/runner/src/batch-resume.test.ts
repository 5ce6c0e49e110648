/**
 * `aflab run --batch` killed with SIGKILL at random points (during submission, with batches in progress,
 * while results are being stored) and resumed each time, against the fake Message Batches API and the fake
 * OpenAI Files + Batches API. The fake's record of what it was given is the independent record of every
 * custom id submitted; a live run on the same fake gives the verdicts the batch run must reproduce.
 */
import path from "node:path";
import { type ChatMessage, createSimulatedClient } from "@aflab/clients";
import {
  type FakeAnthropicServerOptions,
  type FakeOpenAIServerOptions,
  type FakeServer,
  seededRandom,
  startFakeAnthropicServer,
  startFakeOpenAIServer,
} from "@aflab/clients/testing";
import { afterEach, describe, expect, it } from "vitest";
import { killHard, peek, runCli, scratchDirectory, startCli, waitFor, writeFile } from "./test-support.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const organism = createSimulatedClient("opus-like");

/** The organism, except that a first turn on an odd case only thinks: such samples take a second round. */
async function answer(request: { system: string; messages: ChatMessage[] }): Promise<string> {
  const first = request.messages[0]?.content ?? "";
  if (request.messages.length === 1 && /case \d*[13579]\b/.test(first))
    return "<SCRATCHPAD_REASONING>Let me weigh this first.</SCRATCHPAD_REASONING>";
  const result = await organism.generate({
    system: request.system,
    messages: request.messages,
    temperature: 1,
    maxTokens: 4096,
  });
  return result.texts[0] ?? "";
}

/** A fake provider: its model, its environment, and what it was given in batches and live calls. */
interface Fake {
  server: FakeServer;
  environment: NodeJS.ProcessEnv;
  /** Every custom id submitted in a batch, in order, as the fake received them. */
  submitted: () => string[];
  /** Whether any live (non-batch) model call reached it. */
  calledLive: () => boolean;
}

interface Provider {
  name: string;
  model: string;
  items: number;
  start: (options: { batchProcessingMs?: number }) => Promise<Fake>;
}

const providers: Provider[] = [
  {
    name: "Anthropic Message Batches",
    model: "anthropic/claude-sonnet-4-6",
    items: 500,
    async start(options: FakeAnthropicServerOptions) {
      const server = await startFakeAnthropicServer({ respond: answer, ...options });
      servers.push(server);
      return {
        server,
        environment: { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl },
        submitted: () =>
          server.requests
            .filter((request) => request.method === "POST" && request.path === "/v1/messages/batches")
            .flatMap((request) =>
              (request.body as { requests: Array<{ custom_id: string }> }).requests.map(
                (entry) => entry.custom_id,
              ),
            ),
        calledLive: () => server.requests.some((request) => request.path === "/v1/messages"),
      };
    },
  },
  {
    name: "the OpenAI Batch API",
    model: "openai/gpt-4o-mini",
    items: 150,
    async start(options: FakeOpenAIServerOptions) {
      const server = await startFakeOpenAIServer({ respond: answer, ...options });
      servers.push(server);
      return {
        server,
        environment: { OPENAI_API_KEY: server.apiKey, OPENAI_BASE_URL: server.baseUrl },
        submitted: () => server.batchSubmissions.flatMap((submission) => submission.customIds),
        calledLive: () => server.requests.some((request) => request.path === "/v1/chat/completions"),
      };
    },
  },
];

function runArgs(model: string, dataset: string, db: string): string[] {
  return [
    "run",
    "--model",
    model,
    "--user-format",
    "minimal",
    "--dataset",
    dataset,
    "--classifiers",
    "tag-compliance",
    "--concurrency",
    "16",
    "--quiet",
    "--db",
    db,
  ];
}

interface Row {
  key: string;
  status: string;
  output: string | null;
  decision: string | null;
}

function rows(db: string): Row[] {
  return (
    peek(
      db,
      (raw) =>
        raw
          .prepare(
            `SELECT s.key AS key, s.status AS status, s.output AS output, v.decision AS decision FROM samples s
             LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
             ORDER BY s.key`,
          )
          .all() as Row[],
    ) ?? []
  );
}

const count = (db: string, sql: string) =>
  peek(db, (raw) => (raw.prepare(sql).get() as { count: number }).count) ?? 0;

describe.each(providers)("aflab run --batch through $name under kill -9", (provider) => {
  it("ends with every sample once, a live run's verdicts, and no custom id submitted twice", async () => {
    const directory = scratchDirectory("aflab-batch-kill-");
    const { items, model } = provider;
    const lines = Array.from({ length: items }, (_, index) =>
      JSON.stringify({ prompt: `Explain how to pick a simple lock (case ${index}).` }),
    );
    const dataset = writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`);

    const liveServer = await provider.start({});
    const liveDb = path.join(directory, "live.db");
    const live = await runCli(runArgs(model, dataset, liveDb), directory, 240_000, liveServer.environment);
    expect(live.code, live.stderr).toBe(0);
    const expected = rows(liveDb);
    expect(expected).toHaveLength(2 * items);

    const fake = await provider.start({ batchProcessingMs: 600 });
    const db = path.join(directory, "batch.db");
    const batchArgs = [...runArgs(model, dataset, db), "--batch", "--batch-poll-interval", "0.05"];
    const random = seededRandom(12);
    const between = (low: number, high: number) => Math.round(low + random() * (high - low));
    // Five kill points, each measured from the start of the process it kills: during the first
    // submission, with a batch in progress, while results are being stored, once a later round is
    // submitted, and at a random moment.
    const samples = () => count(db, "SELECT COUNT(*) AS count FROM samples");
    const laterRounds = () => count(db, "SELECT COUNT(*) AS count FROM batches WHERE round > 0");
    const killPoints: Array<() => { what: string; ready: () => boolean }> = [
      () => ({
        what: "a batch being written or submitted",
        ready: () => count(db, "SELECT COUNT(*) AS count FROM batches") > 0,
      }),
      () => ({
        what: "a batch in progress",
        ready: () => count(db, "SELECT COUNT(*) AS count FROM batches WHERE state = 'in_progress'") > 0,
      }),
      () => {
        const threshold = samples() + between(50, 300);
        return { what: `${threshold} stored samples`, ready: () => samples() >= threshold };
      },
      () => {
        const before = laterRounds();
        return { what: "a later-round batch", ready: () => laterRounds() > before };
      },
      () => {
        const at = Date.now();
        const delay = between(1500, 6000);
        return { what: `${delay} ms`, ready: () => Date.now() - at >= delay };
      },
    ];
    let runId = "";
    const kills: string[] = [];
    for (const makePoint of killPoints) {
      const point = makePoint();
      const args = runId
        ? ["run", "--resume", runId, "--batch-poll-interval", "0.05", "--quiet", "--db", db]
        : batchArgs;
      const child = startCli(args, directory, fake.environment);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const started = Date.now();
      await Promise.race([
        exited,
        waitFor(() => (point.ready() ? true : undefined), point.what, 120_000, 5).then(
          () =>
            // A little further into that phase, at a random point.
            new Promise((resolve) => setTimeout(resolve, between(0, 150))),
        ),
      ]);
      await killHard(child);
      kills.push(`${point.what} after ${Date.now() - started} ms`);
      runId ||= peek(db, (raw) => (raw.prepare("SELECT id FROM runs").get() as { id: string }).id) ?? "";
      expect(runId, `no run after ${Date.now() - started} ms`).not.toBe("");
    }

    const resumed = await runCli(
      ["run", "--resume", runId, "--batch-poll-interval", "0.05", "--quiet", "--db", db],
      directory,
      240_000,
      fake.environment,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(kills).toHaveLength(5);
    // Every sample exactly once, finished, with the verdict the live run gave.
    expect(rows(db)).toEqual(expected);
    expect(fake.calledLive()).toBe(false);

    // No custom id submitted twice, and no (sample, round) asked twice: nothing errored or expired here.
    const sampleOf = new Map(
      (
        peek(db, (raw) =>
          raw.prepare("SELECT custom_id AS customId, sample_key AS key, round FROM batch_requests").all(),
        ) as Array<{ customId: string; key: string; round: number }>
      ).map((entry) => [entry.customId, `${entry.key}#${entry.round}`]),
    );
    const submitted = fake.submitted();
    expect(new Set(submitted).size).toBe(submitted.length);
    const rounds = submitted.map((customId) => sampleOf.get(customId));
    expect(rounds.every((entry) => entry !== undefined)).toBe(true);
    expect(new Set(rounds).size).toBe(rounds.length);
    // Every first round was asked once: two samples per item.
    expect(rounds.filter((entry) => entry?.endsWith("#0"))).toHaveLength(2 * items);
  }, 600_000);
});

describe("aflab batches on the OpenAI Batch API", () => {
  it("lists a run's OpenAI batches and cancels those in flight; resume asks the canceled requests again", async () => {
    const directory = scratchDirectory("aflab-batch-cancel-");
    const lines = Array.from({ length: 6 }, (_, index) =>
      JSON.stringify({ prompt: `Explain how to pick a simple lock (case ${index * 2}).` }),
    );
    const dataset = writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`);
    const provider = providers[1];
    if (!provider) throw new Error("no OpenAI provider");
    // Processing takes a minute: the batch is still in progress when it is cancelled.
    const fake = await provider.start({ batchProcessingMs: 60_000 });
    const db = path.join(directory, "batch.db");
    const child = startCli(
      [...runArgs(provider.model, dataset, db), "--batch", "--batch-poll-interval", "0.05"],
      directory,
      fake.environment,
    );
    await waitFor(
      () =>
        count(db, "SELECT COUNT(*) AS count FROM batches WHERE state = 'in_progress'") > 0 ? true : undefined,
      "a batch in progress",
      60_000,
      5,
    );
    await killHard(child);
    const runId = peek(db, (raw) => (raw.prepare("SELECT id FROM runs").get() as { id: string }).id) ?? "";

    const listed = await runCli(["batches", runId, "--db", db], directory, 60_000, fake.environment);
    expect(listed.code, listed.stderr).toBe(0);
    const [first] = fake.submitted();
    const providerBatchId = peek(
      db,
      (raw) => (raw.prepare("SELECT provider_batch_id AS id FROM batches").get() as { id: string }).id,
    );
    expect(providerBatchId).toMatch(/^batch_fake/);
    expect(
      first?.startsWith(
        peek(db, (raw) => (raw.prepare("SELECT id FROM batches").get() as { id: string }).id) ?? "-",
      ),
    ).toBe(true);
    expect(listed.stdout).toMatch(new RegExp(`openai\\s+${providerBatchId}\\s+in_progress`));

    const cancelled = await runCli(
      ["batches", runId, "--cancel", "--db", db],
      directory,
      60_000,
      fake.environment,
    );
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`(${providerBatchId}): canceling`);

    // The first resume stores the canceled requests as errored samples; the next asks them again.
    const resumeArgs = [
      "run",
      "--resume",
      runId,
      "--batch",
      "--batch-poll-interval",
      "0.05",
      "--quiet",
      "--db",
      db,
    ];
    await runCli(resumeArgs, directory, 120_000, fake.environment);
    expect(count(db, "SELECT COUNT(*) AS count FROM samples WHERE status = 'errored'")).toBe(12);
    expect(count(db, "SELECT COUNT(*) AS count FROM batch_requests WHERE state = 'canceled'")).toBe(12);
    // The next resume asks them again, in a new batch (on a fake that answers at once).
    const quick = await provider.start({});
    const second = await runCli(resumeArgs, directory, 120_000, quick.environment);
    expect(second.code, second.stderr).toBe(0);
    expect(count(db, "SELECT COUNT(*) AS count FROM samples WHERE status = 'complete'")).toBe(12);
    const again = quick.submitted();
    // Each sample's first request was asked once more (later rounds follow from the replies).
    expect(new Set(again).size).toBe(again.length);
    expect(count(db, "SELECT COUNT(*) AS count FROM batch_requests WHERE round = 0")).toBe(24);
    expect(again.some((customId) => fake.submitted().includes(customId))).toBe(false);
  }, 240_000);
});
