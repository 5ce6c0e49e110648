import { basename } from "node:path";
import { InputError, ProviderError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import {
  apiKeyFromEnvironment,
  type FineTuneJob,
  type FineTuneProvider,
  type FineTuneSettings,
  type FineTuneStatus,
} from "./fine-tune.js";
import { readTrainingFile } from "./openai-fine-tune.js";
import { togetherRegistryProvider } from "./registry.js";

export const defaultTogetherBaseUrl = "https://api.together.xyz/v1";

const togetherFileSchema = z.object({ id: z.string().min(1), filename: z.string().optional() });

const togetherEventSchema = z.object({
  message: z.string().optional(),
  type: z.string().optional(),
  level: z.string().nullable().optional(),
  created_at: z.string().optional(),
});

const togetherJobSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  model: z.string().optional(),
  output_name: z.string().nullable().optional(),
  training_file: z.string().optional(),
  created_at: z.string().nullable().optional(),
  events: z.array(togetherEventSchema).nullable().optional(),
});
type TogetherJob = z.infer<typeof togetherJobSchema>;

const togetherJobListSchema = z.object({ data: z.array(togetherJobSchema) });

const statusMap: Record<string, FineTuneStatus> = {
  pending: "pending",
  queued: "pending",
  running: "running",
  compressing: "running",
  uploading: "running",
  cancel_requested: "running",
  cancelled: "cancelled",
  error: "failed",
  completed: "succeeded",
};

/** Together reports why a job failed in its event list; the last error-like event is the message. */
function failureMessage(job: TogetherJob): string | null {
  if (job.status !== "error") return null;
  const events = job.events ?? [];
  const errorEvent = [...events]
    .reverse()
    .find((event) => event.level === "error" || /error|fail/i.test(event.type ?? ""));
  return errorEvent?.message ?? "the job ended with status error";
}

function toJob(job: TogetherJob): FineTuneJob {
  const status = statusMap[job.status] ?? "running";
  return {
    provider: "together",
    id: job.id,
    status,
    rawStatus: job.status,
    baseModel: job.model ?? "",
    trainingFile: job.training_file ?? "",
    outputModel: status === "succeeded" ? (job.output_name ?? null) : null,
    error: failureMessage(job),
    createdAt: job.created_at ?? null,
  };
}

export interface TogetherFineTuneOptions {
  /** Defaults to TOGETHER_BASE_URL, else https://api.together.xyz/v1. */
  baseUrl?: string;
  /** Where TOGETHER_API_KEY is read from; defaults to process.env. */
  environment?: Record<string, string | undefined>;
}

/**
 * Together's fine-tuning API over fetch (there is no SDK dependency): `POST /files/upload`,
 * `POST /fine-tunes` with LoRA settings, `GET /fine-tunes/{id}`, `GET /fine-tunes`. Every response is
 * validated; registered models are `together/<output_name>` on Together's OpenAI-compatible endpoint.
 */
function checkSettings(settings: FineTuneSettings): void {
  if (settings.learningRateMultiplier !== undefined) {
    throw new InputError("Together takes an absolute learningRate, not learningRateMultiplier", {
      field: "learningRateMultiplier",
    });
  }
}

export function togetherFineTuneProvider(options: TogetherFineTuneOptions = {}): FineTuneProvider {
  const environment = options.environment ?? process.env;
  const baseUrl = (options.baseUrl ?? environment.TOGETHER_BASE_URL ?? defaultTogetherBaseUrl).replace(
    /\/+$/,
    "",
  );

  async function request(action: string, path: string, init: RequestInit = {}): Promise<unknown> {
    const apiKey = apiKeyFromEnvironment("TOGETHER_API_KEY", environment);
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, ...(init.headers ?? {}) },
      });
    } catch (error) {
      throw new ProviderError(`Together ${action} failed: ${(error as Error).message}`, {
        provider: "together",
        isRetryable: true,
        code: "provider_unavailable",
        cause: error,
      });
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) {
      throw new ProviderError(
        `Together ${action} failed (${response.status}): ${upstreamMessage(body) ?? (text.slice(0, 300) || response.statusText)}`,
        {
          provider: "together",
          status: response.status,
          isRetryable: response.status === 429 || response.status >= 500,
          code: response.status === 401 ? "authentication" : "provider_error",
        },
      );
    }
    if (body === null) {
      throw new ProviderError(`Together ${action} answered with a body that is not JSON`, {
        provider: "together",
        status: response.status,
        isRetryable: false,
      });
    }
    return body;
  }

  return {
    name: "together",
    async uploadTrainingFile(path) {
      const content = await readTrainingFile(path);
      const form = new FormData();
      form.append("purpose", "fine-tune");
      form.append("file_name", basename(path));
      form.append("file_type", "jsonl");
      form.append("file", new Blob([content], { type: "application/jsonl" }), basename(path));
      const body = await request("file upload", "/files/upload", { method: "POST", body: form });
      return parseOrThrow(togetherFileSchema, body, "Together file upload response");
    },
    checkSettings,
    async createJob(trainingFileId, settings) {
      checkSettings(settings);
      const lora = settings.loraRank !== undefined || settings.loraAlpha !== undefined;
      const payload: Record<string, unknown> = {
        training_file: trainingFileId,
        model: settings.model,
        training_type: lora
          ? {
              type: "Lora",
              ...(settings.loraRank !== undefined ? { lora_r: settings.loraRank } : {}),
              ...(settings.loraAlpha !== undefined ? { lora_alpha: settings.loraAlpha } : {}),
            }
          : { type: "Full" },
      };
      if (settings.epochs !== undefined) payload.n_epochs = settings.epochs;
      if (settings.batchSize !== undefined) payload.batch_size = settings.batchSize;
      if (settings.learningRate !== undefined) payload.learning_rate = settings.learningRate;
      if (settings.suffix !== undefined) payload.suffix = settings.suffix;
      const body = await request("fine-tuning job creation", "/fine-tunes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      return toJob(parseOrThrow(togetherJobSchema, body, "Together fine-tuning job response"));
    },
    async getJob(id) {
      const body = await request(`fine-tuning job ${id} lookup`, `/fine-tunes/${encodeURIComponent(id)}`);
      return toJob(parseOrThrow(togetherJobSchema, body, "Together fine-tuning job response"));
    },
    async listJobs(limit = 20) {
      const body = await request("fine-tuning job listing", "/fine-tunes");
      const list = parseOrThrow(togetherJobListSchema, body, "Together fine-tuning job list");
      return list.data.slice(0, limit).map(toJob);
    },
    registryEntry(job) {
      const model = job.outputModel ?? "";
      return {
        id: `together/${model}`,
        provider: "together",
        model,
        providerConfig: togetherRegistryProvider,
      };
    },
  };
}

function upstreamMessage(body: unknown): string | undefined {
  const parsed = z
    .object({ error: z.union([z.string(), z.object({ message: z.string() })]) })
    .or(z.object({ message: z.string() }))
    .safeParse(body);
  if (!parsed.success) return undefined;
  if ("error" in parsed.data) {
    return typeof parsed.data.error === "string" ? parsed.data.error : parsed.data.error.message;
  }
  return parsed.data.message;
}
