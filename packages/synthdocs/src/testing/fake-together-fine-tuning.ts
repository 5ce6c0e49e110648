import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { bearerToken, close, listen, parseMultipart, type RecordedRequest } from "./http.js";

export type TogetherJobStatus =
  | "pending"
  | "queued"
  | "running"
  | "compressing"
  | "uploading"
  | "cancel_requested"
  | "cancelled"
  | "error"
  | "completed";

export interface FakeTogetherFineTuningOptions {
  apiKey?: string;
  /** Statuses per `GET /v1/fine-tunes/{id}`; default pending → queued → running → uploading → completed. */
  statuses?: TogetherJobStatus[];
  /** Message of the `job_error` event added when the sequence reaches `error`. */
  failureMessage?: string;
  /** Account prefix of output model names. */
  account?: string;
}

export interface FakeTogetherFineTuningServer {
  /** Base URL including `/v1`. */
  baseUrl: string;
  requests: RecordedRequest[];
  files: Map<string, { filename: string; purpose: string; fileType: string; content: string }>;
  /** Raw job objects by id, including the request's hyperparameters. */
  jobs: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

function errorBody(message: string, type = "invalid_request_error") {
  return { error: { message, type, param: null, code: null } };
}

/**
 * A fake of Together's files and fine-tunes API on 127.0.0.1 with its wire shapes: multipart
 * `POST /v1/files/upload`, `GET /v1/files/{id}`, `POST /v1/fine-tunes`, `GET /v1/fine-tunes/{id}` (each
 * read advances the scripted status), `GET /v1/fine-tunes` and `GET /v1/fine-tunes/{id}/events`.
 */
export async function startFakeTogetherFineTuningServer(
  options: FakeTogetherFineTuningOptions = {},
): Promise<FakeTogetherFineTuningServer> {
  const apiKey = options.apiKey ?? "test-together-key";
  const statuses = options.statuses ?? ["pending", "queued", "running", "uploading", "completed"];
  const account = options.account ?? "fake-account";
  const files = new Map<
    string,
    { filename: string; purpose: string; fileType: string; content: string; createdAt: number; lines: number }
  >();
  const jobs = new Map<string, Record<string, unknown>>();
  const steps = new Map<string, number>();

  const fileObject = (id: string) => {
    const file = files.get(id);
    if (!file) return undefined;
    return {
      id,
      object: "file",
      created_at: file.createdAt,
      filename: file.filename,
      bytes: Buffer.byteLength(file.content),
      purpose: file.purpose,
      Processed: true,
      FileType: file.fileType,
      LineCount: file.lines,
    };
  };

  const event = (type: string, message: string, level: string | null = null) => ({
    object: "fine-tune-event",
    created_at: new Date().toISOString(),
    message,
    type,
    level,
    param_count: 0,
    token_count: 0,
    total_steps: 0,
    wandb_url: "",
    step: 0,
    checkpoint_path: "",
    model_path: "",
    training_offset: 0,
    hash: "",
  });

  const advance = (id: string) => {
    const job = jobs.get(id) as Record<string, unknown>;
    const step = Math.min((steps.get(id) ?? 0) + 1, statuses.length - 1);
    steps.set(id, step);
    const status = statuses[step] as TogetherJobStatus;
    if (job.status === status) return job;
    job.status = status;
    job.updated_at = new Date().toISOString();
    const events = job.events as Array<Record<string, unknown>>;
    if (status === "running") events.push(event("training_start", "Training started"));
    if (status === "completed") {
      events.push(event("job_complete", `Fine-tuning completed: ${String(job.output_name)}`));
      job.epochs_completed = job.n_epochs;
    }
    if (status === "error") {
      events.push(event("job_error", options.failureMessage ?? "The job failed.", "error"));
    }
    if (status === "cancelled") events.push(event("job_cancelled", "Job cancelled"));
    return job;
  };

  const { server, port, requests } = await listen(async (request, body, url) => {
    if (bearerToken(request) !== apiKey) {
      return { status: 401, body: errorBody("Invalid API key provided", "invalid_api_key") };
    }
    const method = request.method ?? "GET";
    const path = url.pathname;
    if (method === "POST" && path === "/v1/files/upload") {
      const form = await parseMultipart(request, body);
      const file = form.get("file");
      const purpose = form.get("purpose");
      const fileName = form.get("file_name");
      if (!(file instanceof Blob) || typeof purpose !== "string" || typeof fileName !== "string") {
        return { status: 400, body: errorBody("purpose, file_name and file are required") };
      }
      const content = await file.text();
      const id = `file-${randomUUID()}`;
      const fileType = form.get("file_type");
      files.set(id, {
        filename: fileName,
        purpose,
        fileType: typeof fileType === "string" ? fileType : "jsonl",
        content,
        createdAt: Math.floor(Date.now() / 1000),
        lines: content.split("\n").filter((line) => line.trim() !== "").length,
      });
      return { status: 200, body: fileObject(id) };
    }
    const fileMatch = /^\/v1\/files\/([^/]+)$/.exec(path);
    if (method === "GET" && fileMatch) {
      const file = fileObject(fileMatch[1] as string);
      return file ? { status: 200, body: file } : { status: 404, body: errorBody("File not found") };
    }
    if (method === "POST" && path === "/v1/fine-tunes") {
      const payload = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
      if (typeof payload.model !== "string" || payload.model === "") {
        return { status: 400, body: errorBody("model is required") };
      }
      if (typeof payload.training_file !== "string" || !files.has(payload.training_file)) {
        return { status: 400, body: errorBody(`training_file not found: ${String(payload.training_file)}`) };
      }
      const id = `ft-${randomUUID()}`;
      const baseName = payload.model.split("/").at(-1) ?? payload.model;
      const suffix = typeof payload.suffix === "string" ? `-${payload.suffix}` : "";
      const now = new Date().toISOString();
      const job: Record<string, unknown> = {
        id,
        status: statuses[0],
        model: payload.model,
        output_name: `${account}/${baseName}${suffix}-${id.slice(3, 11)}`,
        training_file: payload.training_file,
        validation_file: payload.validation_file ?? "",
        created_at: now,
        updated_at: now,
        n_epochs: payload.n_epochs ?? 1,
        n_checkpoints: payload.n_checkpoints ?? 1,
        batch_size: payload.batch_size ?? "max",
        learning_rate: payload.learning_rate ?? 0.00001,
        training_type: payload.training_type ?? { type: "Full" },
        suffix: payload.suffix ?? null,
        epochs_completed: 0,
        events: [event("job_pending", "Fine-tune request created")],
        token_count: 0,
        param_count: 0,
        total_price: 0,
        queue_depth: 0,
      };
      jobs.set(id, job);
      steps.set(id, 0);
      return { status: 200, body: job };
    }
    if (method === "GET" && path === "/v1/fine-tunes") {
      return { status: 200, body: { data: [...jobs.values()] } };
    }
    const eventsMatch = /^\/v1\/fine-tunes\/([^/]+)\/events$/.exec(path);
    if (method === "GET" && eventsMatch) {
      const job = jobs.get(eventsMatch[1] as string);
      return job
        ? { status: 200, body: { data: job.events } }
        : { status: 404, body: errorBody("Job not found") };
    }
    const jobMatch = /^\/v1\/fine-tunes\/([^/]+)$/.exec(path);
    if (method === "GET" && jobMatch) {
      const id = jobMatch[1] as string;
      return jobs.has(id)
        ? { status: 200, body: advance(id) }
        : { status: 404, body: errorBody("Job not found") };
    }
    return { status: 404, body: errorBody(`Unknown path ${method} ${path}`) };
  });

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    files,
    jobs,
    close: () => close(server as Server),
  };
}
