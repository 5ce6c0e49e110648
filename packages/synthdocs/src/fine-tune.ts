import { InputError, ProviderError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { appendJsonl } from "./jsonl.js";
import { defaultRegistryPath, type FineTunedModelEntry, registerFineTunedModel } from "./registry.js";

/** A job status common to every provider; `rawStatus` keeps the provider's own word. */
export type FineTuneStatus = "pending" | "running" | "succeeded" | "failed" | "cancelled";

export const terminalStatuses: ReadonlySet<FineTuneStatus> = new Set(["succeeded", "failed", "cancelled"]);

export interface FineTuneJob {
  provider: string;
  id: string;
  status: FineTuneStatus;
  rawStatus: string;
  baseModel: string;
  trainingFile: string;
  /** The trained model's name once the job succeeded (OpenAI `fine_tuned_model`, Together `output_name`). */
  outputModel: string | null;
  /** The provider's own failure message, when the job failed. */
  error: string | null;
  createdAt: string | null;
}

/** Hyperparameters. Fields a provider does not support are rejected, not silently ignored. */
export const fineTuneSettingsSchema = z.object({
  model: z.string().min(1, "expected a base model name"),
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  /** Together: the learning rate itself. */
  learningRate: z.number().positive().optional(),
  /** OpenAI: a multiplier on the default learning rate. */
  learningRateMultiplier: z.number().positive().optional(),
  /** Together LoRA rank and alpha; LoRA is used when either is set. */
  loraRank: z.number().int().positive().optional(),
  loraAlpha: z.number().positive().optional(),
  suffix: z.string().min(1).max(64).optional(),
});
export type FineTuneSettings = z.infer<typeof fineTuneSettingsSchema>;

/** One fine-tuning service: upload a training file, create, read and list jobs. */
export interface FineTuneProvider {
  readonly name: string;
  /** Throws an InputError for settings this provider does not take; called before anything is uploaded. */
  checkSettings?(settings: FineTuneSettings): void;
  uploadTrainingFile(path: string): Promise<{ id: string }>;
  createJob(trainingFileId: string, settings: FineTuneSettings): Promise<FineTuneJob>;
  getJob(id: string): Promise<FineTuneJob>;
  listJobs(limit?: number): Promise<FineTuneJob[]>;
  /** The registry entry that makes a succeeded job's model usable with `aflab run --model <id>`. */
  registryEntry(job: FineTuneJob): FineTunedModelEntry;
}

export type FineTuneEvent =
  | { type: "file-uploaded"; provider: string; fileId: string }
  | { type: "job-created"; job: FineTuneJob }
  | { type: "job-status"; job: FineTuneJob; changed: boolean }
  | { type: "model-registered"; id: string; registryPath: string };

export interface WaitOptions {
  pollIntervalMs?: number;
  /** Give up waiting (the job keeps running upstream) after this long. */
  timeoutMs?: number;
  onEvent?: (event: FineTuneEvent) => void;
  /** Every status seen is appended here as JSONL, so the job can be found again after a crash. */
  jobLogPath?: string;
  signal?: AbortSignal;
}

/**
 * Poll a job until it succeeds, fails or is cancelled. A failed or cancelled job throws a ProviderError
 * carrying the provider's own message; files written before stay where they are.
 */
export async function waitForFineTune(
  provider: FineTuneProvider,
  jobId: string,
  options: WaitOptions = {},
): Promise<FineTuneJob> {
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  let previous: string | undefined;
  for (;;) {
    const job = await provider.getJob(jobId);
    const changed = job.rawStatus !== previous;
    previous = job.rawStatus;
    if (changed && options.jobLogPath) {
      appendJsonl(options.jobLogPath, [{ at: new Date().toISOString(), ...job }]);
    }
    options.onEvent?.({ type: "job-status", job, changed });
    if (job.status === "succeeded") return job;
    if (job.status === "failed" || job.status === "cancelled") {
      throw new ProviderError(
        `fine-tuning job ${job.id} ${job.status === "failed" ? "failed" : "was cancelled"} at ${provider.name}: ` +
          `${job.error ?? "no message from the provider"}`,
        { provider: provider.name, isRetryable: false },
      );
    }
    if (Date.now() + pollIntervalMs > deadline) {
      throw new InputError(
        `fine-tuning job ${job.id} is still ${job.rawStatus} after the wait timeout; check it later with its id`,
        { field: "timeoutMs" },
      );
    }
    await sleep(pollIntervalMs, options.signal);
  }
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface FineTuneRunResult {
  job: FineTuneJob;
  fileId: string;
  /** The registered model id, when the job was waited for and succeeded. */
  modelId: string | null;
}

/**
 * Upload a training file, create a job and (unless `wait` is false) poll it to the end and register the
 * trained model in the registry file.
 *
 * @example
 * const provider = togetherFineTuneProvider();
 * const { modelId } = await runFineTune({
 *   provider, trainingFile: "export/documents.jsonl",
 *   settings: { model: "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", epochs: 1, loraRank: 64, loraAlpha: 128 },
 *   registryPath: ".aflab/models.json",
 * });
 */
export async function runFineTune(
  input: {
    provider: FineTuneProvider;
    trainingFile: string;
    settings: FineTuneSettings;
    wait?: boolean;
    registryPath?: string;
  } & WaitOptions,
): Promise<FineTuneRunResult> {
  const { provider } = input;
  const settings = parseOrThrow(fineTuneSettingsSchema, input.settings, "fine-tuning settings");
  // Settings the provider would refuse are refused before the (possibly large) file is uploaded.
  provider.checkSettings?.(settings);
  const file = await provider.uploadTrainingFile(input.trainingFile);
  input.onEvent?.({ type: "file-uploaded", provider: provider.name, fileId: file.id });
  const created = await provider.createJob(file.id, settings);
  if (input.jobLogPath) appendJsonl(input.jobLogPath, [{ at: new Date().toISOString(), ...created }]);
  input.onEvent?.({ type: "job-created", job: created });
  if (input.wait === false) return { job: created, fileId: file.id, modelId: null };
  const job = await waitForFineTune(provider, created.id, input);
  const modelId = registerJob(provider, job, input.registryPath, input.onEvent);
  return { job, fileId: file.id, modelId };
}

/**
 * Write a succeeded job's model into the registry and return the id to pass to `aflab run --model`.
 * Throws an InputError for a job that has not succeeded.
 */
export function registerJob(
  provider: FineTuneProvider,
  job: FineTuneJob,
  registryPath: string | undefined,
  onEvent?: (event: FineTuneEvent) => void,
): string {
  if (job.status !== "succeeded" || !job.outputModel) {
    throw new InputError(
      `fine-tuning job ${job.id} has not succeeded (status ${job.rawStatus}): nothing to register`,
    );
  }
  const entry = provider.registryEntry(job);
  const path = registryPath ?? defaultRegistryPath;
  registerFineTunedModel(path, entry);
  onEvent?.({ type: "model-registered", id: entry.id, registryPath: path });
  return entry.id;
}

/** Read a required API key from the environment; the message names the variable, never a value. */
export function apiKeyFromEnvironment(
  variable: string,
  environment: Record<string, string | undefined> = process.env,
): string {
  const key = environment[variable];
  if (!key)
    throw new InputError(`set ${variable} in the environment to use this provider`, { field: variable });
  return key;
}
