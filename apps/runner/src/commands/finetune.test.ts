import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAiFineTuningServer, startFakeTogetherFineTuningServer } from "@aflab/synthdocs/testing";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerFinetuneCommands } from "./finetune.js";

function harness(environment: Record<string, string>) {
  const output: string[] = [];
  const program = new Command("aflab").exitOverride();
  registerFinetuneCommands(program, { environment, stdout: (text) => output.push(text), stderr: () => {} });
  for (const command of program.commands) command.exitOverride();
  return { output, run: (...argv: string[]) => program.parseAsync(argv, { from: "user" }) };
}

function trainingFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "cli-finetune-")), "documents.jsonl");
  writeFileSync(path, `${JSON.stringify({ text: "A memo about the new training policy." })}\n`);
  return path;
}

describe("aflab finetune", () => {
  it("starts an OpenAI job, waits, registers the model and prints the evaluation command", async () => {
    const server = await startFakeOpenAiFineTuningServer();
    try {
      const { output, run } = harness({ OPENAI_API_KEY: "test-openai-key", OPENAI_BASE_URL: server.baseUrl });
      const registry = join(mkdtempSync(join(tmpdir(), "cli-finetune-")), "models.json");
      await run(
        "finetune",
        "start",
        "--provider",
        "openai",
        "--file",
        trainingFile(),
        "--model",
        "gpt-4o-mini-2024-07-18",
        "--epochs",
        "1",
        "--base-url",
        server.baseUrl,
        "--registry",
        registry,
        "--poll-interval",
        "0.005",
      );
      const text = output.join("");
      const modelId = /registered as (\S+)/.exec(text)?.[1] as string;
      expect(modelId).toMatch(/^openai\/ft:gpt-4o-mini-2024-07-18:fake-org::/);
      expect(text).toContain(`aflab run --model ${modelId} --variant no-training-details`);
      expect(JSON.parse(readFileSync(registry, "utf8")).models[modelId].provider).toBe("openai");

      await run("finetune", "list", "--provider", "openai", "--base-url", server.baseUrl, "--format", "json");
      const jobs = JSON.parse(output.at(-1) as string);
      expect(jobs).toHaveLength(1);
      expect(jobs[0].status).toBe("succeeded");
    } finally {
      await server.close();
    }
  });

  it("starts a Together LoRA job without waiting, then follows and registers it with status", async () => {
    const server = await startFakeTogetherFineTuningServer();
    try {
      const { output, run } = harness({
        TOGETHER_API_KEY: "test-together-key",
        TOGETHER_BASE_URL: server.baseUrl,
      });
      const registry = join(mkdtempSync(join(tmpdir(), "cli-finetune-")), "models.json");
      await run(
        "finetune",
        "start",
        "--provider",
        "together",
        "--file",
        trainingFile(),
        "--model",
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        "--lora-rank",
        "64",
        "--lora-alpha",
        "128",
        "--epochs",
        "1",
        "--base-url",
        server.baseUrl,
        "--no-wait",
      );
      const jobId = [...server.jobs.keys()][0] as string;
      expect(server.jobs.get(jobId)?.training_type).toEqual({ type: "Lora", lora_r: 64, lora_alpha: 128 });
      expect(output.join("")).toContain(
        `aflab finetune status ${jobId} --provider together --wait --register`,
      );

      await run(
        "finetune",
        "status",
        jobId,
        "--provider",
        "together",
        "--base-url",
        server.baseUrl,
        "--wait",
        "--register",
        "--registry",
        registry,
        "--poll-interval",
        "0.005",
      );
      const registered = JSON.parse(readFileSync(registry, "utf8"));
      const [modelId] = Object.keys(registered.models);
      expect(modelId).toMatch(/^together\/fake-account\/Meta-Llama-3\.1-70B-Instruct-Reference-/);
      expect(registered.providers.together.type).toBe("openai-compatible");
    } finally {
      await server.close();
    }
  });

  it("rejects an unknown provider, a missing key and flags the provider does not take", async () => {
    const { run } = harness({});
    await expect(
      run("finetune", "start", "--provider", "azure", "--file", trainingFile(), "--model", "m"),
    ).rejects.toThrow(/--provider: expected openai or together/);
    await expect(run("finetune", "list", "--provider", "openai")).rejects.toThrow(/set OPENAI_API_KEY/);
    await expect(
      run(
        "finetune",
        "start",
        "--provider",
        "openai",
        "--file",
        trainingFile(),
        "--model",
        "m",
        "--epochs",
        "0",
      ),
    ).rejects.toThrow(/--epochs:/);
  });

  it("never sends a provider's key to a --base-url the environment does not name", async () => {
    const { run } = harness({ OPENAI_API_KEY: "test-openai-key", TOGETHER_API_KEY: "test-together-key" });
    await expect(
      run("finetune", "list", "--provider", "openai", "--base-url", "http://127.0.0.1:1/v1"),
    ).rejects.toThrow(/^--base-url: OPENAI_API_KEY is only sent to https:\/\/api\.openai\.com\/v1, not to/);
    await expect(
      run("finetune", "status", "ft-1", "--provider", "together", "--base-url", "http://127.0.0.1:1/v1"),
    ).rejects.toThrow(
      /TOGETHER_API_KEY is only sent to https:\/\/api\.together\.xyz\/v1.*set TOGETHER_BASE_URL/,
    );
  });
});
