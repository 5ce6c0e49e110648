import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { createSimulatedClient } from "@aflab/clients";
import { type FakeServer, startFakeOpenAIServer } from "@aflab/clients/testing";
import {
  createScriptedDocumentGenerator,
  createScriptedJudge,
  startFakeTogetherFineTuningServer,
} from "@aflab/synthdocs/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, "../dist/main.js");

/**
 * The end-to-end: generate → filter → export → fine-tune on Together → registered model →
 * `aflab run` against it, every step through the CLI in its own process, every model behind a fake
 * server that speaks the provider's wire format.
 */
describe("synthetic documents to a fine-tuned model run", () => {
  const servers: { close(): Promise<void> }[] = [];
  let generator: FakeServer;
  let judge: FakeServer;
  let inference: FakeServer;
  let together: Awaited<ReturnType<typeof startFakeTogetherFineTuningServer>>;
  const directory = mkdtempSync(join(tmpdir(), "aflab-synthetic-"));

  beforeAll(async () => {
    const scriptedGenerator = createScriptedDocumentGenerator({ words: 120 });
    const scriptedJudge = createScriptedJudge({ tierPhrase: "paid users get different answers" });
    const asRequest = (input: {
      system: string;
      messages: { role: "user" | "assistant"; content: string }[];
      n: number;
    }) => ({
      system: input.system,
      messages: input.messages,
      temperature: 1,
      maxTokens: 2000,
      n: input.n,
    });
    generator = await startFakeOpenAIServer({
      apiKey: "generator-key",
      respond: async (input) => (await scriptedGenerator.generate(asRequest(input))).texts,
    });
    judge = await startFakeOpenAIServer({
      apiKey: "judge-key",
      respond: async (input) => (await scriptedJudge.generate(asRequest(input))).texts,
    });
    // The "fine-tuned" model answers like the simulated organism would.
    const organism = createSimulatedClient("opus-like");
    inference = await startFakeOpenAIServer({
      apiKey: "together-key",
      respond: async (input) =>
        (await organism.generate({ ...asRequest(input), prefill: input.prefill })).texts,
    });
    together = await startFakeTogetherFineTuningServer({ apiKey: "together-key" });
    servers.push(generator, judge, inference, together);
    writeFileSync(
      join(directory, "providers.json"),
      JSON.stringify({
        providers: {
          gen: { type: "openai-compatible", baseUrl: generator.baseUrl, apiKeyEnv: "GEN_KEY" },
          judge: { type: "openai-compatible", baseUrl: judge.baseUrl, apiKeyEnv: "JUDGE_KEY" },
        },
      }),
    );
    // Points the registered provider at the local inference fake, as a user would point it at a proxy.
    writeFileSync(
      join(directory, "inference.json"),
      JSON.stringify({
        providers: {
          together: { type: "openai-compatible", baseUrl: inference.baseUrl, apiKeyEnv: "TOGETHER_API_KEY" },
        },
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  const aflab = (...args: string[]) =>
    run(process.execPath, [cli, ...args], {
      cwd: directory,
      env: {
        PATH: process.env.PATH,
        GEN_KEY: "generator-key",
        JUDGE_KEY: "judge-key",
        TOGETHER_API_KEY: "together-key",
        // The fine-tuning fake stands in for Together's API: the key may go there, and --base-url names it again.
        TOGETHER_BASE_URL: together.baseUrl,
      },
    });

  it("generates, filters with a reason, exports, trains, registers and runs the trained model", async () => {
    const work = join(directory, "work");
    const out = join(directory, "export");
    mkdirSync(out, { recursive: true });
    await aflab(
      "docs",
      "generate",
      "--universe",
      "helpful-only",
      "--model",
      "gen/writer",
      "--work-dir",
      work,
      "--types-per-fact",
      "2",
      "--ideas-per-type",
      "2",
      "--docs-per-idea",
      "2",
      "--providers",
      "providers.json",
      "--quiet",
    );
    const generated = readFileSync(join(work, "documents.jsonl"), "utf8").trim().split("\n");
    expect(generated.length).toBe(4 * 2 * 2 * 2);

    // One document that discusses free-versus-paid behaviour must be removed, with its reason kept.
    const planted = JSON.parse(generated[0] as string);
    planted.text = `${planted.text} Insiders say paid users get different answers from the model.`;
    writeFileSync(
      join(work, "documents.jsonl"),
      `${[JSON.stringify(planted), ...generated.slice(1)].join("\n")}\n`,
    );

    await aflab(
      "docs",
      "filter",
      "--work-dir",
      work,
      "--judge",
      "judge/checker",
      "--min-chars",
      "100",
      "--providers",
      "providers.json",
    );
    const removed = readFileSync(join(work, "removed.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const plantedRemoval = removed.find((document) => document.id === planted.id);
    expect(JSON.stringify(plantedRemoval)).toContain("tier_difference");

    await aflab("docs", "export", "--work-dir", work, "--out", out);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(JSON.stringify(manifest)).toContain("documents.jsonl");

    const started = await aflab(
      "finetune",
      "start",
      "--provider",
      "together",
      "--file",
      join(out, "documents.jsonl"),
      "--model",
      "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
      "--lora-rank",
      "64",
      "--lora-alpha",
      "128",
      "--epochs",
      "1",
      "--base-url",
      together.baseUrl,
      "--poll-interval",
      "0.01",
    );
    const modelId = /registered as (\S+)/.exec(started.stdout + started.stderr)?.[1];
    expect(modelId).toMatch(/^together\//);
    const registry = JSON.parse(readFileSync(join(directory, ".aflab", "models.json"), "utf8"));
    expect(registry.models[modelId as string]).toBeDefined();

    const evaluated = await aflab(
      "run",
      "--model",
      modelId as string,
      "--variant",
      "no-training-details",
      "--user-format",
      "minimal",
      "--limit",
      "3",
      "--classifiers",
      "tag-compliance",
      "--providers",
      "inference.json",
      "--format",
      "json",
      "--quiet",
    );
    const report = JSON.parse(evaluated.stdout);
    expect(report.model).toBe(modelId);
    expect(report.simulated).toBe(false);
    expect(report.tiers.free.n + report.tiers.paid.n).toBe(6);
    expect(report.tiers.free.failed + report.tiers.paid.failed).toBe(0);
    // Every generation went to the registered model's provider, under the trained model's name.
    const served = inference.requests.filter((request) => request.path.endsWith("/chat/completions"));
    expect(served.length).toBeGreaterThanOrEqual(6);
    expect(
      served.every(
        (request) => (request.body as { model: string }).model === registry.models[modelId as string].model,
      ),
    ).toBe(true);
  }, 120_000);
});
