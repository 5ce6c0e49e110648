import type { Server } from "node:http";
import { bearerToken, close, fakeId, listen, parseMultipart, type RecordedRequest } from "./http.js";

export type OpenAiJobStatus =
  | "validating_files"
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled";

export interface FakeOpenAiFineTuningOptions {
  /** The key the server accepts as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /**
   * Statuses a job goes through, one per `GET /v1/fine_tuning/jobs/{id}` after creation; the last one
   * stays. Default: validating_files → queued → running → succeeded.
   */
  statuses?: OpenAiJobStatus[];
  /** The `error` object of a job whose sequence ends in `failed`. */
  failure?: { code: string; message: string; param?: string | null };
}

export interface FakeOpenAiFineTuningServer {
  /** Base URL including `/v1`, as the OpenAI SDK expects. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Uploaded files by id, with their content. */
  files: Map<string, { filename: string; purpose: string; content: string }>;
  /** Raw job objects by id, as last served. */
  jobs: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/**
 * A fake of OpenAI's files and fine-tuning jobs API on 127.0.0.1 with the real wire shapes: multipart
 * `POST /v1/files`, `GET /v1/files/{id}`, `POST /v1/fine_tuning/jobs`, `GET /v1/fine_tuning/jobs/{id}`
 * (each read advances the scripted status), `GET /v1/fine_tuning/jobs` and `.../events`.
 */
export async function startFakeOpenAiFineTuningServer(
  options: FakeOpenAiFineTuningOptions = {},
): Promise<FakeOpenAiFineTuningServer> {
  const apiKey = options.apiKey ?? "test-openai-key";
  const statuses = options.statuses ?? ["validating_files", "queued", "running", "succeeded"];
  const files = new Map<
    string,
    { filename: string; purpose: string; content: string; createdAt: number; bytes: number }
  >();
  const jobs = new Map<string, Record<string, unknown>>();
  const steps = new Map<string, number>();
  const events = new Map<string, Array<Record<string, unknown>>>();
  const now = () => Math.floor(Date.now() / 1000);

  const fileObject = (id: string) => {
    const file = files.get(id);
    if (!file) return undefined;
    return {
      id,
      object: "file",
      bytes: file.bytes,
      created_at: file.createdAt,
      filename: file.filename,
      purpose: file.purpose,
      status: "processed",
      status_details: null,
      expires_at: null,
    };
  };

  const addEvent = (jobId: string, level: string, message: string) => {
    const list = events.get(jobId) ?? [];
    list.unshift({
      object: "fine_tuning.job.event",
      id: fakeId("ftevent-"),
      created_at: now(),
      level,
      message,
      data: {},
      type: "message",
    });
    events.set(jobId, list);
  };

  const advance = (jobId: string) => {
    const job = jobs.get(jobId) as Record<string, unknown>;
    const step = Math.min((steps.get(jobId) ?? 0) + 1, statuses.length - 1);
    steps.set(jobId, step);
    const status = statuses[step] as OpenAiJobStatus;
    if (job.status === status) return job;
    job.status = status;
    addEvent(jobId, status === "failed" ? "error" : "info", `Job status changed to ${status}`);
    if (status === "running") job.estimated_finish = now() + 600;
    if (status === "succeeded") {
      const suffix = (job.user_provided_suffix as string | null) ?? "";
      job.fine_tuned_model = `ft:${String(job.model)}:fake-org:${suffix}:${String(jobId).slice(-8)}`;
      job.finished_at = now();
      job.trained_tokens = (files.get(String(job.training_file))?.bytes ?? 0) >> 2;
      job.result_files = [fakeId("file-")];
    }
    if (status === "failed") {
      job.error = {
        code: options.failure?.code ?? "invalid_training_file",
        message: options.failure?.message ?? "The job failed.",
        param: options.failure?.param ?? null,
      };
      job.finished_at = now();
    }
    if (status === "cancelled") job.finished_at = now();
    return job;
  };

  const { server, port, requests } = await listen(async (request, body, url) => {
    if (bearerToken(request) !== apiKey) {
      return {
        status: 401,
        body: errorBody("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
      };
    }
    const method = request.method ?? "GET";
    const path = url.pathname;
    if (method === "POST" && path === "/v1/files") {
      const form = await parseMultipart(request, body);
      const file = form.get("file");
      const purpose = form.get("purpose");
      if (!(file instanceof Blob) || typeof purpose !== "string") {
        return {
          status: 400,
          body: errorBody("'file' and 'purpose' are required.", "invalid_request_error", null, "file"),
        };
      }
      const content = await file.text();
      const id = fakeId("file-");
      const filename = file instanceof File ? file.name : "upload.jsonl";
      files.set(id, { filename, purpose, content, createdAt: now(), bytes: Buffer.byteLength(content) });
      return { status: 200, body: fileObject(id) };
    }
    const fileMatch = /^\/v1\/files\/([^/]+)$/.exec(path);
    if (method === "GET" && fileMatch) {
      const file = fileObject(fileMatch[1] as string);
      return file
        ? { status: 200, body: file }
        : {
            status: 404,
            body: errorBody(`No such File object: ${fileMatch[1]}`, "invalid_request_error", null, "id"),
          };
    }
    if (method === "POST" && path === "/v1/fine_tuning/jobs") {
      const payload = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
      if (typeof payload.model !== "string") {
        return {
          status: 400,
          body: errorBody("Missing required parameter: 'model'.", "invalid_request_error", null, "model"),
        };
      }
      const trainingFile = payload.training_file;
      if (typeof trainingFile !== "string" || !files.has(trainingFile)) {
        return {
          status: 400,
          body: errorBody(
            `invalid training_file: ${String(trainingFile)}`,
            "invalid_request_error",
            null,
            "training_file",
          ),
        };
      }
      const method = (payload.method as Record<string, unknown> | undefined) ?? {
        type: "supervised",
        supervised: {},
      };
      const supervised = (method.supervised as Record<string, unknown> | undefined) ?? {};
      const given = (supervised.hyperparameters as Record<string, unknown> | undefined) ?? {};
      const hyperparameters = {
        n_epochs: given.n_epochs ?? "auto",
        batch_size: given.batch_size ?? "auto",
        learning_rate_multiplier: given.learning_rate_multiplier ?? "auto",
      };
      const id = fakeId("ftjob-");
      const job: Record<string, unknown> = {
        object: "fine_tuning.job",
        id,
        model: payload.model,
        created_at: now(),
        finished_at: null,
        fine_tuned_model: null,
        organization_id: "org-fake",
        result_files: [],
        status: statuses[0],
        validation_file: payload.validation_file ?? null,
        training_file: trainingFile,
        hyperparameters,
        trained_tokens: null,
        error: null,
        user_provided_suffix: payload.suffix ?? null,
        seed: payload.seed ?? 42,
        estimated_finish: null,
        integrations: [],
        metadata: payload.metadata ?? null,
        method: { type: "supervised", supervised: { hyperparameters } },
      };
      jobs.set(id, job);
      steps.set(id, 0);
      addEvent(id, "info", `Created fine-tuning job: ${id}`);
      return { status: 200, body: job };
    }
    if (method === "GET" && path === "/v1/fine_tuning/jobs") {
      const limit = Number(url.searchParams.get("limit") ?? 20);
      const data = [...jobs.values()].reverse().slice(0, limit);
      return { status: 200, body: { object: "list", data, has_more: jobs.size > data.length } };
    }
    const eventsMatch = /^\/v1\/fine_tuning\/jobs\/([^/]+)\/events$/.exec(path);
    if (method === "GET" && eventsMatch) {
      const id = eventsMatch[1] as string;
      if (!jobs.has(id))
        return {
          status: 404,
          body: errorBody(`Could not find fine-tune: ${id}`, "invalid_request_error", "fine_tune_not_found"),
        };
      return { status: 200, body: { object: "list", data: events.get(id) ?? [], has_more: false } };
    }
    const jobMatch = /^\/v1\/fine_tuning\/jobs\/([^/]+)$/.exec(path);
    if (method === "GET" && jobMatch) {
      const id = jobMatch[1] as string;
      if (!jobs.has(id))
        return {
          status: 404,
          body: errorBody(`Could not find fine-tune: ${id}`, "invalid_request_error", "fine_tune_not_found"),
        };
      return { status: 200, body: advance(id) };
    }
    return {
      status: 404,
      body: errorBody(`Unknown request URL: ${method} ${path}.`, "invalid_request_error", "unknown_url"),
    };
  });

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    files,
    jobs,
    close: () => close(server as Server),
  };
}
