import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { z } from "zod";
import type { FakeBatchResultType } from "./fake-anthropic-batches.js";
import { sendDropped, sendJson } from "./fake-shared.js";

export interface FakeOpenAIBatchOptions {
  /** Milliseconds from a batch's creation until its requests are processed (default 0: at the next retrieve). */
  batchProcessingMs?: number;
  /**
   * How a request ends, by its custom id and how many times that id was submitted before (0 the first
   * time): for partial failures (`errored`: a 500 line in the error file) and expiry (`expired`: the batch
   * ends `expired`, the request's line in the error file says `batch_expired`). Default `succeeded`.
   */
  batchResult?: (customId: string, earlierSubmissions: number) => FakeBatchResultType;
  /** Whether the batch made n-th (from 1) fails validation: it ends `failed` with no files. */
  batchFails?: (batchNumber: number) => boolean;
}

/** One batch made, with the custom ids of its input file: the record of every request submitted. */
export interface FakeOpenAIBatchSubmission {
  batchId: string;
  inputFileId: string;
  customIds: string[];
  receivedAt: number;
}

/** What the fake's chat completion endpoint gives for a request body. */
export type CompletionOutcome =
  | { ok: true; payload?: unknown; recordedBody?: string }
  | {
      ok: false;
      status: number;
      error: { message: string; type: string; code: string | null; param?: string | null };
    };

interface StoredFile {
  id: string;
  bytes: number;
  createdAt: number;
  filename: string;
  purpose: string;
  text: string;
}

interface BatchLine {
  custom_id: string;
  body: unknown;
}

interface Batch {
  id: string;
  number: number;
  inputFileId: string;
  createdAt: number;
  endsAt: number;
  metadata: Record<string, string> | null;
  model: string | null;
  status:
    | "validating"
    | "failed"
    | "in_progress"
    | "finalizing"
    | "completed"
    | "expired"
    | "cancelling"
    | "cancelled";
  lines: BatchLine[];
  validationError: { code: string; message: string; line: number | null; param: string | null } | null;
  counts: { total: number; completed: number; failed: number };
  outputFileId: string | null;
  errorFileId: string | null;
  times: Partial<
    Record<
      "in_progress" | "finalizing" | "completed" | "failed" | "expired" | "cancelling" | "cancelled",
      number
    >
  >;
}

/** OpenAI's limits on a batch input file. */
const maxRequests = 50_000;
const maxFileBytes = 200 * 1024 * 1024;
const filePurposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

const createBatchSchema = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.string(),
  completion_window: z.literal("24h"),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});

const inputLineSchema = z.object({
  custom_id: z.string().min(1),
  method: z.literal("POST"),
  url: z.string(),
  body: z.looseObject({ model: z.string() }),
});

const seconds = (milliseconds: number) => Math.floor(milliseconds / 1000);

/**
 * The Files and Batches endpoints of the fake OpenAI server (`POST /v1/files`, `GET /v1/files/{id}`,
 * `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches[/{id}]`, `POST /v1/batches/{id}/cancel`)
 * with the real object shapes. A batch goes validating → in_progress → finalizing → completed (or failed,
 * expired, cancelling → cancelled); each request is answered by the same code as
 * `POST /v1/chat/completions`, its line going to the output file (status 200) or the error file.
 */
export function fakeOpenAIBatches(
  options: FakeOpenAIBatchOptions,
  createCompletion: (body: unknown) => Promise<CompletionOutcome>,
  served: () => number,
) {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Batch>();
  const submitted = new Map<string, number>();
  const submissions: FakeOpenAIBatchSubmission[] = [];
  const processing = new Map<string, Promise<void>>();
  let fileCounter = 0;
  let batchCounter = 0;
  let lineCounter = 0;

  const storeFile = (filename: string, purpose: string, text: string): StoredFile => {
    fileCounter += 1;
    const file = {
      id: `file-fake${fileCounter.toString().padStart(8, "0")}`,
      bytes: Buffer.byteLength(text),
      createdAt: seconds(Date.now()),
      filename,
      purpose,
      text,
    };
    files.set(file.id, file);
    return file;
  };

  const fileView = (file: StoredFile) => ({
    id: file.id,
    object: "file",
    bytes: file.bytes,
    created_at: file.createdAt,
    expires_at: file.purpose === "batch" ? file.createdAt + 30 * 24 * 3600 : null,
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
  });

  const view = (batch: Batch) => ({
    id: batch.id,
    object: "batch",
    endpoint: "/v1/chat/completions",
    model: batch.model,
    errors: batch.validationError ? { object: "list", data: [batch.validationError] } : null,
    input_file_id: batch.inputFileId,
    completion_window: "24h",
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: seconds(batch.createdAt),
    in_progress_at: batch.times.in_progress ?? null,
    expires_at: seconds(batch.createdAt) + 24 * 3600,
    finalizing_at: batch.times.finalizing ?? null,
    completed_at: batch.times.completed ?? null,
    failed_at: batch.times.failed ?? null,
    expired_at: batch.times.expired ?? null,
    cancelling_at: batch.times.cancelling ?? null,
    cancelled_at: batch.times.cancelled ?? null,
    request_counts: batch.counts,
    metadata: batch.metadata,
  });

  /** Validates an input file as OpenAI does: the first bad line fails the whole batch. */
  const validate = (
    text: string,
  ): { lines: BatchLine[]; model: string | null; error: Batch["validationError"] } => {
    const lines: BatchLine[] = [];
    const ids = new Set<string>();
    let model: string | null = null;
    const fail = (code: string, message: string, line: number | null, param: string | null = null) => ({
      lines,
      model,
      error: { code, message, line, param },
    });
    const rows = text.split("\n").filter((row) => row.trim() !== "");
    if (rows.length === 0) return fail("empty_file", "The input file is empty.", null);
    if (rows.length > maxRequests)
      return fail("too_many_requests", `The batch has more than ${maxRequests} requests.`, null);
    for (const [index, row] of rows.entries()) {
      let parsed: z.ZodSafeParseResult<z.infer<typeof inputLineSchema>>;
      try {
        parsed = inputLineSchema.safeParse(JSON.parse(row));
      } catch {
        return fail("invalid_json_line", "This line is not parseable as valid JSON.", index + 1);
      }
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return fail("invalid_request", issue?.message ?? "invalid", index + 1, issue?.path.join(".") ?? null);
      }
      if (parsed.data.url !== "/v1/chat/completions")
        return fail(
          "invalid_url",
          "The URL provided for this request does not match the batch endpoint.",
          index + 1,
          "url",
        );
      if (ids.has(parsed.data.custom_id))
        return fail(
          "duplicate_custom_id",
          "The custom ID for this request is a duplicate of another request.",
          index + 1,
          "custom_id",
        );
      if (model !== null && parsed.data.body.model !== model)
        return fail(
          "mismatched_model",
          "The provided model does not match the model of the other requests.",
          index + 1,
          "body.model",
        );
      model = parsed.data.body.model;
      ids.add(parsed.data.custom_id);
      lines.push({ custom_id: parsed.data.custom_id, body: parsed.data.body });
    }
    return { lines, model, error: null };
  };

  const requestId = () => `req_fake_batch_${served()}_${lineCounter}`;

  const resultLine = async (
    line: BatchLine,
    planned: FakeBatchResultType,
  ): Promise<{ output: boolean; counted: boolean; text: string }> => {
    lineCounter += 1;
    const id = `batch_req_fake${lineCounter.toString().padStart(8, "0")}`;
    if (planned === "expired" || planned === "canceled")
      return {
        output: false,
        counted: false,
        text: JSON.stringify({
          id,
          custom_id: line.custom_id,
          response: null,
          error:
            planned === "expired"
              ? {
                  code: "batch_expired",
                  message: "This request could not be executed before the completion window expired.",
                }
              : {
                  code: "batch_cancelled",
                  message: "This request was not executed because the batch was cancelled.",
                },
        }),
      };
    const outcome: CompletionOutcome =
      planned === "errored"
        ? {
            ok: false,
            status: 500,
            error: {
              message: "The server had an error processing your request.",
              type: "server_error",
              code: null,
            },
          }
        : await createCompletion(line.body).catch(
            (error: unknown): CompletionOutcome => ({
              ok: false,
              status: 500,
              error: {
                message: `fake respond failed: ${error instanceof Error ? error.message : String(error)}`,
                type: "server_error",
                code: null,
              },
            }),
          );
    if (!outcome.ok)
      return {
        output: false,
        counted: true,
        text: JSON.stringify({
          id,
          custom_id: line.custom_id,
          response: {
            status_code: outcome.status,
            request_id: requestId(),
            body: { error: { param: null, ...outcome.error } },
          },
          error: null,
        }),
      };
    const body = outcome.recordedBody !== undefined ? JSON.parse(outcome.recordedBody) : outcome.payload;
    return {
      output: true,
      counted: true,
      text: JSON.stringify({
        id,
        custom_id: line.custom_id,
        response: { status_code: 200, request_id: requestId(), body },
        error: null,
      }),
    };
  };

  /** Answers every request of a batch whose time has come (or that is being cancelled), once. */
  const process = async (batch: Batch) => {
    const cancelled = batch.status === "cancelling";
    batch.counts.total = batch.lines.length;
    const output: string[] = [];
    const errors: string[] = [];
    let expired = false;
    for (const line of batch.lines) {
      const earlier = (submitted.get(line.custom_id) ?? 1) - 1;
      const planned = cancelled
        ? "canceled"
        : (options.batchResult?.(line.custom_id, earlier) ?? "succeeded");
      if (planned === "expired") expired = true;
      const result = await resultLine(line, planned);
      (result.output ? output : errors).push(result.text);
      if (result.counted) batch.counts[result.output ? "completed" : "failed"] += 1;
    }
    if (output.length > 0)
      batch.outputFileId = storeFile(`${batch.id}_output.jsonl`, "batch_output", `${output.join("\n")}\n`).id;
    if (errors.length > 0)
      batch.errorFileId = storeFile(`${batch.id}_error.jsonl`, "batch_output", `${errors.join("\n")}\n`).id;
    const now = seconds(Date.now());
    if (cancelled) {
      batch.status = "cancelled";
      batch.times.cancelled = now;
    } else if (expired) {
      batch.status = "expired";
      batch.times.expired = now;
    } else {
      batch.status = "completed";
      batch.times.completed = now;
    }
  };

  /** Moves a batch on as time has passed: validation on the first look, processing once its time has come. */
  const advance = (batch: Batch) => {
    const now = Date.now();
    if (batch.status === "validating") {
      if (batch.validationError || options.batchFails?.(batch.number)) {
        batch.validationError ??= {
          code: "invalid_batch",
          message: "The batch failed validation.",
          line: null,
          param: null,
        };
        batch.status = "failed";
        batch.times.failed = seconds(now);
        return;
      }
      batch.status = "in_progress";
      batch.times.in_progress = seconds(now);
      batch.counts.total = batch.lines.length;
    }
    const due = batch.status === "cancelling" || (batch.status === "in_progress" && now >= batch.endsAt);
    if (!due || processing.has(batch.id)) return;
    if (batch.status === "in_progress") {
      batch.status = "finalizing";
      batch.times.finalizing = seconds(now);
    }
    processing.set(batch.id, process(batch));
  };

  const sendError = (response: ServerResponse, status: number, message: string, code: string | null = null) =>
    sendJson(response, status, { error: { message, type: "invalid_request_error", param: null, code } });

  return {
    submissions: submissions as readonly FakeOpenAIBatchSubmission[],
    /** Answers a files or batches request; false when `path` is none of them. */
    async handle(
      method: string,
      path: string,
      query: URLSearchParams,
      body: unknown,
      raw: Buffer,
      headers: IncomingHttpHeaders,
      response: ServerResponse,
      /** The request drew a `drop` fault: a batch is made, but its answer is cut off (the client cannot know). */
      drop = false,
    ): Promise<boolean> {
      const parts = path.split("/").filter(Boolean);
      if (parts[1] === "files") {
        if (method === "POST" && parts.length === 2) {
          if (raw.length > maxFileBytes + 64 * 1024) {
            sendError(response, 413, "The file exceeds the maximum size of 200 MB for batch input.");
            return true;
          }
          let form: FormData;
          try {
            form = await new Request("http://fake/v1/files", {
              method: "POST",
              headers: { "content-type": headers["content-type"] ?? "" },
              body: raw,
            }).formData();
          } catch {
            sendError(response, 400, "Expected a multipart/form-data body with `file` and `purpose`.");
            return true;
          }
          const purpose = form.get("purpose");
          const file = form.get("file");
          if (typeof purpose !== "string" || !filePurposes.includes(purpose)) {
            sendError(response, 400, `Invalid value for 'purpose': ${String(purpose)}.`, "invalid_value");
            return true;
          }
          if (!(file instanceof Blob)) {
            sendError(response, 400, "Missing required parameter: 'file'.", "missing_required_parameter");
            return true;
          }
          const stored = storeFile(file instanceof File ? file.name : "upload", purpose, await file.text());
          sendJson(response, 200, fileView(stored));
          return true;
        }
        const file = files.get(parts[2] ?? "");
        if (!file) {
          sendError(response, 404, `No such File object: ${parts[2] ?? ""}`);
          return true;
        }
        if (method === "GET" && parts.length === 3) {
          sendJson(response, 200, fileView(file));
          return true;
        }
        if (method === "GET" && parts[3] === "content" && parts.length === 4) {
          response.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": Buffer.byteLength(file.text),
          });
          response.end(file.text);
          return true;
        }
        sendError(response, 404, `Unknown request URL: ${method} ${path}.`, "unknown_url");
        return true;
      }
      if (parts[1] !== "batches") return false;
      if (method === "POST" && parts.length === 2) {
        const parsed = createBatchSchema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          sendError(
            response,
            400,
            `Invalid value for '${issue?.path.join(".") ?? "body"}': ${issue?.message ?? "invalid"}`,
            "invalid_value",
          );
          return true;
        }
        if (parsed.data.endpoint !== "/v1/chat/completions") {
          sendError(
            response,
            400,
            `This fake batches /v1/chat/completions only, not ${parsed.data.endpoint}.`,
            "invalid_value",
          );
          return true;
        }
        const input = files.get(parsed.data.input_file_id);
        if (input?.purpose !== "batch") {
          sendError(
            response,
            400,
            `Invalid 'input_file_id': '${parsed.data.input_file_id}'.`,
            "invalid_value",
          );
          return true;
        }
        const { lines, model, error } = validate(input.text);
        batchCounter += 1;
        const batch: Batch = {
          id: `batch_fake${batchCounter.toString().padStart(8, "0")}`,
          number: batchCounter,
          inputFileId: input.id,
          createdAt: Date.now(),
          endsAt: Date.now() + (options.batchProcessingMs ?? 0),
          metadata: parsed.data.metadata ?? null,
          model,
          status: "validating",
          lines,
          validationError: error,
          counts: { total: 0, completed: 0, failed: 0 },
          outputFileId: null,
          errorFileId: null,
          times: {},
        };
        for (const line of lines) submitted.set(line.custom_id, (submitted.get(line.custom_id) ?? 0) + 1);
        submissions.push({
          batchId: batch.id,
          inputFileId: input.id,
          customIds: lines.map((line) => line.custom_id),
          receivedAt: Date.now(),
        });
        batches.set(batch.id, batch);
        if (drop) sendDropped(response, view(batch));
        else sendJson(response, 200, view(batch));
        return true;
      }
      if (method === "GET" && parts.length === 2) {
        const limit = Math.min(100, Math.max(1, Number(query.get("limit") ?? 20) || 20));
        const newestFirst = [...batches.values()].reverse();
        for (const batch of newestFirst) advance(batch);
        const after = query.get("after");
        const start = after ? newestFirst.findIndex((batch) => batch.id === after) + 1 : 0;
        const page = newestFirst.slice(start, start + limit);
        sendJson(response, 200, {
          object: "list",
          data: page.map(view),
          first_id: page[0]?.id ?? null,
          last_id: page[page.length - 1]?.id ?? null,
          has_more: start + limit < newestFirst.length,
        });
        return true;
      }
      const batch = batches.get(parts[2] ?? "");
      if (!batch) {
        sendError(response, 404, `No batch found with id '${parts[2] ?? ""}'.`);
        return true;
      }
      if (method === "GET" && parts.length === 3) {
        advance(batch);
        sendJson(response, 200, view(batch));
        return true;
      }
      if (method === "POST" && parts[3] === "cancel" && parts.length === 4) {
        if (batch.status === "validating" || batch.status === "in_progress") {
          batch.status = "cancelling";
          batch.times.cancelling = seconds(Date.now());
        } else if (batch.status !== "cancelling" && batch.status !== "finalizing") {
          sendError(response, 409, `Cannot cancel a batch with status '${batch.status}'.`);
          return true;
        }
        sendJson(response, 200, view(batch));
        return true;
      }
      sendError(response, 404, `Unknown request URL: ${method} ${path}.`, "unknown_url");
      return true;
    },
  };
}
