import { InputError } from "@aflab/core";
import {
  createOpenAiClient,
  defaultRegistryPath,
  defaultTogetherBaseUrl,
  type FineTuneEvent,
  type FineTuneJob,
  type FineTuneProvider,
  fineTuneSettingsSchema,
  openAiFineTuneProvider,
  registerJob,
  runFineTune,
  togetherFineTuneProvider,
  waitForFineTune,
} from "@aflab/synthdocs";
import type { Command } from "commander";
import { loadEnvironment, numberFlag } from "../context.js";
import { table } from "../format.js";

/** What the finetune commands need from outside; tests point them at fake servers. */
export interface FinetuneCommandDependencies {
  /** Where API keys and base URLs are read from; default process.env (after `.env`). */
  environment?: Record<string, string | undefined>;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

interface ProviderFlags {
  provider?: string;
  baseUrl?: string;
}

/** Where each provider's key may go: its own API, or the host its base URL variable names. */
const keyHosts: Record<string, { keyEnv: string; baseUrlEnv: string; defaultBaseUrl: string }> = {
  openai: {
    keyEnv: "OPENAI_API_KEY",
    baseUrlEnv: "OPENAI_BASE_URL",
    defaultBaseUrl: "https://api.openai.com/v1",
  },
  together: {
    keyEnv: "TOGETHER_API_KEY",
    baseUrlEnv: "TOGETHER_BASE_URL",
    defaultBaseUrl: defaultTogetherBaseUrl,
  },
};

function comparableUrl(value: string): string | undefined {
  try {
    return new URL(value).href.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}

/** A key is only sent to the base URL its provider names: `--base-url` may repeat it, not move it. */
function checkKeyHost(flags: ProviderFlags, environment: Record<string, string | undefined>): void {
  const host = keyHosts[flags.provider ?? ""];
  if (!host || flags.baseUrl === undefined) return;
  const bound = environment[host.baseUrlEnv]?.trim() || host.defaultBaseUrl;
  const given = comparableUrl(flags.baseUrl);
  if (given === undefined || given !== comparableUrl(bound)) {
    throw new InputError(
      `--base-url: ${host.keyEnv} is only sent to ${bound}, not to ${flags.baseUrl}; to use the key there, set ${host.baseUrlEnv} to it`,
      { field: "base-url" },
    );
  }
}

function providerFrom(
  flags: ProviderFlags,
  environment: Record<string, string | undefined>,
): FineTuneProvider {
  checkKeyHost(flags, environment);
  if (flags.provider === "openai") {
    return openAiFineTuneProvider(createOpenAiClient({ baseURL: flags.baseUrl, environment }));
  }
  if (flags.provider === "together") return togetherFineTuneProvider({ baseUrl: flags.baseUrl, environment });
  throw new InputError(`--provider: expected openai or together, got "${flags.provider ?? ""}"`, {
    field: "provider",
  });
}

function describeJob(job: FineTuneJob): string {
  return `${job.provider} job ${job.id}: ${job.rawStatus}${job.outputModel ? ` → ${job.outputModel}` : ""}${job.error ? ` (${job.error})` : ""}`;
}

/**
 * `aflab finetune start|status|list`: launch and follow fine-tuning jobs on OpenAI or Together and
 * register the trained model so `aflab run --model <id>` finds it.
 */
export function registerFinetuneCommands(
  program: Command,
  dependencies: FinetuneCommandDependencies = {},
): void {
  const stdout = dependencies.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = dependencies.stderr ?? ((text: string) => process.stderr.write(text));
  const environment = () => {
    if (dependencies.environment) return dependencies.environment;
    loadEnvironment({}); // reads .env without overriding the environment
    return process.env;
  };
  const progress = (event: FineTuneEvent) => {
    if (event.type === "file-uploaded") stderr(`uploaded training file ${event.fileId}\n`);
    if (event.type === "job-created") stderr(`created ${describeJob(event.job)}\n`);
    if (event.type === "job-status" && event.changed) stderr(`${describeJob(event.job)}\n`);
    if (event.type === "model-registered") stderr(`registered ${event.id} in ${event.registryPath}\n`);
  };
  const finetune = program
    .command("finetune")
    .description("fine-tune a model on exported documents (OpenAI or Together)");

  finetune
    .command("start")
    .description("upload a training file, start a job, wait for it and register the model")
    .requiredOption("--provider <name>", "openai or together")
    .requiredOption("--file <path>", "training file from aflab docs export")
    .requiredOption(
      "--model <name>",
      "base model, e.g. gpt-4o-2024-08-06 or meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
    )
    .option("--epochs <n>", "passes over the data")
    .option("--batch-size <n>", "batch size")
    .option("--learning-rate <x>", "learning rate (Together)")
    .option("--learning-rate-multiplier <x>", "learning-rate multiplier (OpenAI)")
    .option("--lora-rank <n>", "LoRA rank (Together)")
    .option("--lora-alpha <n>", "LoRA alpha (Together)")
    .option("--suffix <text>", "suffix of the trained model's name")
    .option(
      "--base-url <url>",
      "API base URL: the provider's, or OPENAI_BASE_URL / TOGETHER_BASE_URL (the only hosts its key is sent to)",
    )
    .option("--registry <file>", "model registry to write", defaultRegistryPath)
    .option("--job-log <file>", "append every job status seen to this JSONL file")
    .option("--poll-interval <seconds>", "seconds between status checks", "30")
    .option("--no-wait", "return once the job is created")
    .action(
      async (
        flags: ProviderFlags & {
          file: string;
          model: string;
          epochs?: string;
          batchSize?: string;
          learningRate?: string;
          learningRateMultiplier?: string;
          loraRank?: string;
          loraAlpha?: string;
          suffix?: string;
          registry: string;
          jobLog?: string;
          pollInterval?: string;
          wait: boolean;
        },
      ) => {
        const result = fineTuneSettingsSchema.safeParse({
          model: flags.model,
          epochs: numberFlag(flags.epochs, "--epochs"),
          batchSize: numberFlag(flags.batchSize, "--batch-size"),
          learningRate: numberFlag(flags.learningRate, "--learning-rate"),
          learningRateMultiplier: numberFlag(flags.learningRateMultiplier, "--learning-rate-multiplier"),
          loraRank: numberFlag(flags.loraRank, "--lora-rank"),
          loraAlpha: numberFlag(flags.loraAlpha, "--lora-alpha"),
          suffix: flags.suffix,
        });
        if (!result.success) {
          const issue = result.error.issues[0];
          const flag = String(issue?.path[0] ?? "settings").replace(
            /[A-Z]/g,
            (letter) => `-${letter.toLowerCase()}`,
          );
          throw new InputError(`--${flag}: ${issue?.message ?? "invalid value"}`, { field: flag });
        }
        const provider = providerFrom(flags, environment());
        const pollSeconds = numberFlag(flags.pollInterval, "--poll-interval") ?? 30;
        if (pollSeconds <= 0) throw new InputError("--poll-interval: expected a positive number of seconds");
        const run = await runFineTune({
          provider,
          trainingFile: flags.file,
          settings: result.data,
          wait: flags.wait,
          registryPath: flags.registry,
          jobLogPath: flags.jobLog,
          pollIntervalMs: pollSeconds * 1000,
          onEvent: progress,
        });
        if (!run.modelId) {
          stdout(
            `${describeJob(run.job)}\nfollow it: aflab finetune status ${run.job.id} --provider ${provider.name} --wait --register\n`,
          );
          return;
        }
        stdout(
          `${describeJob(run.job)}\nregistered as ${run.modelId} in ${flags.registry}\n` +
            `evaluate: aflab run --model ${run.modelId} --variant no-training-details\n`,
        );
      },
    );

  finetune
    .command("status")
    .description("show a job; --wait polls until it ends, --register writes the model to the registry")
    .argument("<jobId>", "job id")
    .requiredOption("--provider <name>", "openai or together")
    .option("--base-url <url>", "API base URL")
    .option("--wait", "poll until the job succeeds, fails or is cancelled")
    .option("--register", "register the trained model once the job succeeded")
    .option("--registry <file>", "model registry to write", defaultRegistryPath)
    .option("--poll-interval <seconds>", "seconds between status checks", "30")
    .action(
      async (
        jobId: string,
        flags: ProviderFlags & {
          wait?: boolean;
          register?: boolean;
          registry: string;
          pollInterval?: string;
        },
      ) => {
        const pollSeconds = numberFlag(flags.pollInterval, "--poll-interval") ?? 30;
        // 0 or less would poll the provider's API in a tight loop.
        if (pollSeconds <= 0) throw new InputError("--poll-interval: expected a positive number of seconds");
        const provider = providerFrom(flags, environment());
        const job = flags.wait
          ? await waitForFineTune(provider, jobId, { pollIntervalMs: pollSeconds * 1000, onEvent: progress })
          : await provider.getJob(jobId);
        stdout(`${describeJob(job)}\n`);
        if (flags.register) {
          const modelId = registerJob(provider, job, flags.registry, progress);
          stdout(
            `registered as ${modelId}\nevaluate: aflab run --model ${modelId} --variant no-training-details\n`,
          );
        }
      },
    );

  finetune
    .command("list")
    .description("list recent fine-tuning jobs")
    .requiredOption("--provider <name>", "openai or together")
    .option("--base-url <url>", "API base URL")
    .option("--limit <n>", "how many", "20")
    .option("--format <format>", "table or json", "table")
    .action(async (flags: ProviderFlags & { limit?: string; format?: string }) => {
      if (flags.format !== "table" && flags.format !== "json") {
        throw new InputError(`--format: expected table or json, got "${flags.format}"`, { field: "format" });
      }
      const provider = providerFrom(flags, environment());
      const jobs = await provider.listJobs(numberFlag(flags.limit, "--limit") ?? 20);
      if (flags.format === "json") {
        stdout(`${JSON.stringify(jobs, null, 2)}\n`);
        return;
      }
      if (jobs.length === 0) {
        stdout("no fine-tuning jobs\n");
        return;
      }
      stdout(
        `${table(
          ["id", "status", "base model", "output model"],
          jobs.map((job) => [job.id, job.rawStatus, job.baseModel, job.outputModel ?? "—"]),
          ["left", "left", "left", "left"],
        )}\n`,
      );
    });
}
