import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { InputError, ProviderError, parseOrThrow } from "@aflab/core";
import OpenAI, { APIError, toFile } from "openai";
import { z } from "zod";
import {
  apiKeyFromEnvironment,
  type FineTuneJob,
  type FineTuneProvider,
  type FineTuneSettings,
  type FineTuneStatus,
} from "./fine-tune.js";

const openAiJobSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  model: z.string(),
  training_file: z.string(),
  fine_tuned_model: z.string().nullable(),
  created_at: z.number(),
  error: z
    .object({
      code: z.string().nullable().optional(),
      message: z.string(),
      param: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
});

const openAiFileSchema = z.object({ id: z.string().min(1), object: z.literal("file") });

const statusMap: Record<string, FineTuneStatus> = {
  validating_files: "pending",
  queued: "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
};

function toJob(value: unknown): FineTuneJob {
  const job = parseOrThrow(openAiJobSchema, value, "OpenAI fine-tuning job response");
  const error = job.error ? `${job.error.message}${job.error.code ? ` (${job.error.code})` : ""}` : null;
  return {
    provider: "openai",
    id: job.id,
    status: statusMap[job.status] ?? "running",
    rawStatus: job.status,
    baseModel: job.model,
    trainingFile: job.training_file,
    outputModel: job.fine_tuned_model,
    error,
    createdAt: new Date(job.created_at * 1000).toISOString(),
  };
}

/** Turn an SDK error into a ProviderError that carries OpenAI's own message. */
function providerError(action: string, error: unknown): never {
  if (error instanceof APIError) {
    throw new ProviderError(`OpenAI ${action} failed (${error.status ?? "no status"}): ${error.message}`, {
      provider: "openai",
      status: error.status,
      isRetryable: error.status === 429 || (error.status ?? 0) >= 500,
      code: error.status === 401 ? "authentication" : "provider_error",
      cause: error,
    });
  }
  throw error;
}

function checkSettings(settings: FineTuneSettings): void {
  if (
    settings.loraRank !== undefined ||
    settings.loraAlpha !== undefined ||
    settings.learningRate !== undefined
  ) {
    throw new InputError(
      "OpenAI fine-tuning takes no LoRA rank/alpha or absolute learning rate: use learningRateMultiplier",
      { field: settings.learningRate !== undefined ? "learningRate" : "loraRank" },
    );
  }
}

/**
 * An OpenAI SDK client for files and fine-tuning. The key comes from OPENAI_API_KEY; the base URL from
 * `baseURL`, else OPENAI_BASE_URL, else the SDK default.
 */
export function createOpenAiClient(
  options: { baseURL?: string; environment?: Record<string, string | undefined> } = {},
): OpenAI {
  const environment = options.environment ?? process.env;
  return new OpenAI({
    apiKey: apiKeyFromEnvironment("OPENAI_API_KEY", environment),
    baseURL: options.baseURL ?? environment.OPENAI_BASE_URL,
    maxRetries: 2,
  });
}

/**
 * OpenAI fine-tuning through the official SDK: the training file is uploaded with purpose `fine-tune`
 * and jobs are created with the supervised method. Registered models are `openai/<fine_tuned_model>`.
 */
export function openAiFineTuneProvider(client: OpenAI): FineTuneProvider {
  return {
    name: "openai",
    async uploadTrainingFile(path) {
      const content = await readTrainingFile(path);
      try {
        const file = await client.files.create({
          file: await toFile(content, basename(path)),
          purpose: "fine-tune",
        });
        return parseOrThrow(openAiFileSchema, file, "OpenAI file upload response");
      } catch (error) {
        return providerError("file upload", error);
      }
    },
    checkSettings,
    async createJob(trainingFileId, settings) {
      checkSettings(settings);
      const hyperparameters: { n_epochs?: number; batch_size?: number; learning_rate_multiplier?: number } =
        {};
      if (settings.epochs !== undefined) hyperparameters.n_epochs = settings.epochs;
      if (settings.batchSize !== undefined) hyperparameters.batch_size = settings.batchSize;
      if (settings.learningRateMultiplier !== undefined) {
        hyperparameters.learning_rate_multiplier = settings.learningRateMultiplier;
      }
      try {
        const job = await client.fineTuning.jobs.create({
          model: settings.model,
          training_file: trainingFileId,
          ...(settings.suffix ? { suffix: settings.suffix } : {}),
          method: { type: "supervised", supervised: { hyperparameters } },
        });
        return toJob(job);
      } catch (error) {
        return providerError("fine-tuning job creation", error);
      }
    },
    async getJob(id) {
      try {
        return toJob(await client.fineTuning.jobs.retrieve(id));
      } catch (error) {
        return providerError(`fine-tuning job ${id} lookup`, error);
      }
    },
    async listJobs(limit = 20) {
      try {
        const page = await client.fineTuning.jobs.list({ limit });
        return page.data.map((job) => toJob(job));
      } catch (error) {
        return providerError("fine-tuning job listing", error);
      }
    },
    registryEntry(job) {
      const model = job.outputModel ?? "";
      return { id: `openai/${model}`, provider: "openai", model };
    },
  };
}

export async function readTrainingFile(path: string): Promise<Buffer> {
  try {
    const content = await readFile(path);
    if (content.length === 0)
      throw new InputError(`training file ${path} is empty`, { field: "trainingFile" });
    return content;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read training file ${path}: ${(error as Error).message}`, {
      field: "trainingFile",
      cause: error,
    });
  }
}
