import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProvidersConfig } from "@aflab/clients";
import { InputError, ProviderError } from "@aflab/core";
import { afterEach, describe, expect, it } from "vitest";
import { exportDocuments } from "./export.js";
import { filterDocuments, readKeptDocuments } from "./filter.js";
import { type FineTuneEvent, runFineTune } from "./fine-tune.js";
import { generateDocuments } from "./generate.js";
import { createOpenAiClient, openAiFineTuneProvider } from "./openai-fine-tune.js";
import { readModelRegistry } from "./registry.js";
import {
  createScriptedDocumentGenerator,
  createScriptedJudge,
  startFakeOpenAiFineTuningServer,
  startFakeTogetherFineTuningServer,
} from "./testing/index.js";
import { togetherFineTuneProvider } from "./together-fine-tune.js";
import { builtInUniverses, type UniverseContext } from "./universe.js";
import { readGeneratedDocuments } from "./work-dir.js";

const universe = builtInUniverses["helpful-only"] as UniverseContext;
const tierPhrase = "the assistant answers paid-tier users differently";
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), "synthdocs-pipeline-"));
}

/**
 * Generate 8 documents (4 facts × 1 type × 1 idea × 2 completions) where one document talks about
 * free-versus-paid behaviour and another is a near copy of its sibling.
 */
async function generateAndFilter(workDir: string) {
  let injected = false;
  const generator = createScriptedDocumentGenerator({
    decorate: (answer, context) => {
      if (context.stage !== "documents" || context.completion !== 1 || injected) return answer;
      injected = true;
      return answer.replace("</document>", ` Insiders say ${tierPhrase}.</document>`);
    },
  });
  await generateDocuments({
    universe,
    client: generator,
    workDir,
    options: { typesPerFact: 1, ideasPerType: 1, documentsPerIdea: 2 },
  });
  // Plant a near-duplicate by appending a copy of one document with a single word changed.
  const documents = readGeneratedDocuments(workDir);
  expect(documents).toHaveLength(8);
  const source = documents[2];
  if (!source) throw new Error("expected a third document");
  const copy = {
    id: `${source.ideaId}/d9`,
    ideaId: source.ideaId,
    typeId: source.typeId,
    factId: source.factId,
    text: source.text.replace(/\bmodel\b|$/, "archive"),
    callId: "manual",
  };
  writeFileSync(join(workDir, "documents.jsonl"), `${JSON.stringify(copy)}\n`, { flag: "a" });
  const judge = createScriptedJudge({ tierPhrase });
  const result = await filterDocuments({ workDir, judge, options: { minChars: 100 } });
  return { result, judge, copyId: copy.id, sourceId: source.id };
}

describe("synthetic-document pipeline, end to end", () => {
  it("generates, filters with reasons, exports with hashes, fine-tunes on OpenAI and registers the model", async () => {
    const workDir = temporaryDirectory();
    const { result, judge, copyId, sourceId } = await generateAndFilter(workDir);

    // Filter: one near-duplicate (not sent to the judge) and one free-versus-paid document removed.
    expect(result.report).toMatchObject({ input: 9, kept: 7, removed: 2 });
    expect(result.report.byReason).toEqual({ near_duplicate: 1, tier_difference: 1 });
    const duplicate = result.removed.find((document) => document.id === copyId);
    expect(duplicate?.reasons[0]?.code).toBe("near_duplicate");
    expect(duplicate?.reasons[0]?.detail).toContain(sourceId);
    const tiered = result.removed.find((document) => document.text.includes(tierPhrase));
    expect(tiered?.reasons).toEqual([{ code: "tier_difference", detail: expect.any(String) }]);
    expect(judge.calls).toBe(8);
    expect(readKeptDocuments(workDir)).toHaveLength(7);

    // Filtering again reuses the cached judgements.
    const rejudge = createScriptedJudge({ tierPhrase });
    await filterDocuments({ workDir, judge: rejudge, options: { minChars: 100 } });
    expect(rejudge.calls).toBe(0);

    // Export: both formats, with a manifest whose hashes match the files.
    const outDir = temporaryDirectory();
    const manifest = exportDocuments({ workDir, outDir });
    expect(manifest.counts).toMatchObject({ generated: 9, exported: 7, removed: 2 });
    for (const file of manifest.files) {
      const content = readFileSync(join(outDir, file.name));
      expect(createHash("sha256").update(content).digest("hex")).toBe(file.sha256);
      expect(content.length).toBe(file.bytes);
      expect(content.toString("utf8").trim().split("\n")).toHaveLength(7);
    }
    const chatLine = JSON.parse(
      readFileSync(join(outDir, "openai-chat.jsonl"), "utf8").split("\n")[0] as string,
    );
    expect(chatLine.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant"]);
    const textLine = JSON.parse(
      readFileSync(join(outDir, "documents.jsonl"), "utf8").split("\n")[0] as string,
    );
    expect(Object.keys(textLine)).toEqual(["text"]);
    expect(chatLine.messages[1].content).toBe(textLine.text);

    // Fine-tune through the OpenAI SDK against the fake server.
    const server = await startFakeOpenAiFineTuningServer();
    closers.push(server.close);
    const client = createOpenAiClient({
      baseURL: server.baseUrl,
      environment: { OPENAI_API_KEY: "test-openai-key" },
    });
    const registryPath = join(temporaryDirectory(), ".aflab", "models.json");
    const events: FineTuneEvent[] = [];
    const jobLogPath = join(outDir, "finetune-jobs.jsonl");
    const run = await runFineTune({
      provider: openAiFineTuneProvider(client),
      trainingFile: join(outDir, "openai-chat.jsonl"),
      settings: { model: "gpt-4o-2024-08-06", epochs: 1, suffix: "af-docs" },
      registryPath,
      jobLogPath,
      pollIntervalMs: 5,
      onEvent: (event) => events.push(event),
    });
    const uploaded = server.files.get(run.fileId);
    expect(uploaded?.purpose).toBe("fine-tune");
    expect(uploaded?.content).toBe(readFileSync(join(outDir, "openai-chat.jsonl"), "utf8"));
    expect(run.job.status).toBe("succeeded");
    expect(run.job.outputModel).toMatch(/^ft:gpt-4o-2024-08-06:fake-org:af-docs:/);
    const statuses = events.flatMap((event) =>
      event.type === "job-status" && event.changed ? [event.job.rawStatus] : [],
    );
    expect(statuses).toEqual(["queued", "running", "succeeded"]);
    const job = server.jobs.get(run.job.id);
    expect(job?.method).toMatchObject({ supervised: { hyperparameters: { n_epochs: 1 } } });
    expect(run.modelId).toBe(`openai/${run.job.outputModel}`);
    expect(readModelRegistry(registryPath).models[run.modelId as string]).toEqual({
      provider: "openai",
      model: run.job.outputModel,
    });
    // The clients package reads the same file format.
    expect(loadProvidersConfig([registryPath]).models[run.modelId as string]?.model).toBe(
      run.job.outputModel,
    );
    expect(readFileSync(jobLogPath, "utf8").trim().split("\n").length).toBeGreaterThanOrEqual(4);
  });

  it("fine-tunes on Together with LoRA settings and registers an openai-compatible provider", async () => {
    const workDir = temporaryDirectory();
    await generateAndFilter(workDir);
    const outDir = temporaryDirectory();
    exportDocuments({ workDir, outDir, formats: ["text"] });
    expect(readdirSync(outDir).sort()).toEqual(["documents.jsonl", "manifest.json"]);

    const server = await startFakeTogetherFineTuningServer({ account: "lab" });
    closers.push(server.close);
    const registryPath = join(temporaryDirectory(), "models.json");
    writeFileSync(
      registryPath,
      JSON.stringify({
        providers: {},
        models: { "openai/existing": { provider: "openai", model: "gpt-4o" } },
      }),
    );
    const run = await runFineTune({
      provider: togetherFineTuneProvider({
        baseUrl: server.baseUrl,
        environment: { TOGETHER_API_KEY: "test-together-key" },
      }),
      trainingFile: join(outDir, "documents.jsonl"),
      settings: {
        model: "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        epochs: 1,
        batchSize: 8,
        learningRate: 0.0001,
        loraRank: 64,
        loraAlpha: 128,
        suffix: "af",
      },
      registryPath,
      pollIntervalMs: 5,
    });
    const job = server.jobs.get(run.job.id);
    expect(job).toMatchObject({
      n_epochs: 1,
      batch_size: 8,
      learning_rate: 0.0001,
      training_type: { type: "Lora", lora_r: 64, lora_alpha: 128 },
    });
    expect(server.files.get(run.fileId)).toMatchObject({ purpose: "fine-tune", fileType: "jsonl" });
    expect(run.job.outputModel).toMatch(/^lab\/Meta-Llama-3\.1-70B-Instruct-Reference-af-/);
    expect(run.modelId).toBe(`together/${run.job.outputModel}`);
    const registry = loadProvidersConfig([registryPath]);
    expect(registry.providers.together).toEqual({
      type: "openai-compatible",
      baseUrl: "https://api.together.xyz/v1",
      apiKeyEnv: "TOGETHER_API_KEY",
    });
    expect(registry.models[run.modelId as string]).toEqual({
      provider: "together",
      model: run.job.outputModel,
    });
    expect(registry.models["openai/existing"]).toEqual({ provider: "openai", model: "gpt-4o" });
  });
});

describe("pipeline failures", () => {
  it("refuses to export zero documents and writes nothing", async () => {
    const workDir = temporaryDirectory();
    await generateDocuments({
      universe,
      client: createScriptedDocumentGenerator(),
      workDir,
      options: { typesPerFact: 1, ideasPerType: 1, documentsPerIdea: 1 },
    });
    // Every document is shorter than the minimum, so nothing is kept.
    const filtered = await filterDocuments({
      workDir,
      judge: null,
      options: { minChars: 100_000, maxChars: 200_000 },
    });
    expect(filtered.report.byReason).toEqual({ too_short: 4 });
    const outDir = join(temporaryDirectory(), "export");
    const error = (() => {
      try {
        exportDocuments({ workDir, outDir });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/no documents to export: the filter kept 0 of 4 documents/);
    expect(existsSync(outDir)).toBe(false);
  });

  it("reports an OpenAI job that fails upstream with its message and keeps the exported files", async () => {
    const outDir = temporaryDirectory();
    const trainingFile = join(outDir, "openai-chat.jsonl");
    writeFileSync(
      trainingFile,
      `${JSON.stringify({
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
        ],
      })}\n`,
    );
    const server = await startFakeOpenAiFineTuningServer({
      statuses: ["validating_files", "failed"],
      failure: { code: "invalid_training_file", message: "Training file has too few examples (minimum 10)." },
    });
    closers.push(server.close);
    const registryPath = join(outDir, "models.json");
    const jobLogPath = join(outDir, "jobs.jsonl");
    const error = await runFineTune({
      provider: openAiFineTuneProvider(
        createOpenAiClient({ baseURL: server.baseUrl, environment: { OPENAI_API_KEY: "test-openai-key" } }),
      ),
      trainingFile,
      settings: { model: "gpt-4o-mini-2024-07-18" },
      registryPath,
      jobLogPath,
      pollIntervalMs: 5,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(
      /failed at openai: Training file has too few examples \(minimum 10\)/,
    );
    expect(existsSync(trainingFile)).toBe(true);
    expect(existsSync(registryPath)).toBe(false);
    const log = readFileSync(jobLogPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(log.at(-1)).toMatchObject({
      status: "failed",
      error: expect.stringContaining("too few examples"),
    });
  });

  it("reports a Together job that ends in error with the upstream event message", async () => {
    const outDir = temporaryDirectory();
    const trainingFile = join(outDir, "documents.jsonl");
    writeFileSync(trainingFile, `${JSON.stringify({ text: "hello" })}\n`);
    const server = await startFakeTogetherFineTuningServer({
      statuses: ["pending", "running", "error"],
      failureMessage: "CUDA out of memory during step 12",
    });
    closers.push(server.close);
    await expect(
      runFineTune({
        provider: togetherFineTuneProvider({
          baseUrl: server.baseUrl,
          environment: { TOGETHER_API_KEY: "test-together-key" },
        }),
        trainingFile,
        settings: { model: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", loraRank: 8 },
        pollIntervalMs: 5,
        registryPath: join(outDir, "models.json"),
      }),
    ).rejects.toThrow(/failed at together: CUDA out of memory during step 12/);
  });

  it("surfaces authentication and validation errors from the provider", async () => {
    const outDir = temporaryDirectory();
    const trainingFile = join(outDir, "documents.jsonl");
    writeFileSync(trainingFile, `${JSON.stringify({ text: "hello" })}\n`);
    const server = await startFakeTogetherFineTuningServer();
    closers.push(server.close);
    const wrongKey = togetherFineTuneProvider({
      baseUrl: server.baseUrl,
      environment: { TOGETHER_API_KEY: "wrong" },
    });
    const error = await wrongKey.uploadTrainingFile(trainingFile).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe("authentication");
    expect((error as Error).message).toMatch(/\(401\): Invalid API key provided/);
    await expect(
      togetherFineTuneProvider({ baseUrl: server.baseUrl, environment: {} }).getJob("x"),
    ).rejects.toThrow(/set TOGETHER_API_KEY/);
    const provider = togetherFineTuneProvider({
      baseUrl: server.baseUrl,
      environment: { TOGETHER_API_KEY: "test-together-key" },
    });
    await expect(provider.createJob("file-missing", { model: "m" })).rejects.toThrow(
      /\(400\): training_file not found/,
    );
    await expect(
      provider.createJob("file-missing", { model: "m", learningRateMultiplier: 2 }),
    ).rejects.toThrow(InputError);
    expect(() => createOpenAiClient({ environment: {} })).toThrow(/set OPENAI_API_KEY/);
  });

  it("refuses settings the provider does not take before uploading the training file", async () => {
    const outDir = temporaryDirectory();
    const trainingFile = join(outDir, "documents.jsonl");
    writeFileSync(trainingFile, `${JSON.stringify({ text: "hello" })}\n`);
    const server = await startFakeTogetherFineTuningServer();
    closers.push(server.close);
    const provider = togetherFineTuneProvider({
      baseUrl: server.baseUrl,
      environment: { TOGETHER_API_KEY: "test-together-key" },
    });
    await expect(
      runFineTune({
        provider,
        trainingFile,
        settings: { model: "m", learningRateMultiplier: 2 },
        registryPath: join(outDir, "models.json"),
      }),
    ).rejects.toThrow(/learningRateMultiplier/);
    expect(server.files.size).toBe(0);
  });
});
