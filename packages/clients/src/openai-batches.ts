import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { ProviderError } from "@aflab/core";
import { z } from "zod";
import type { BatchApi, BatchItem, BatchItemResult, BatchStatus } from "./batches.js";
import type { GenerateRequest, GenerateResult } from "./model-client.js";
import { loadOpenAISdk } from "./sdk-modules.js";
import {
  type Completion,
  type OpenAISettings,
  openaiCompletion,
  openaiConnection,
  openaiParams,
} from "./transports.js";

const count = z.number().int().nonnegative();
const batchSchema = z.looseObject({
  id: z.string(),
  object: z.literal("batch"),
  status: z.enum([
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
  ]),
  created_at: z.number(),
  output_file_id: z.string().nullable().optional(),
  error_file_id: z.string().nullable().optional(),
  request_counts: z.object({ total: count, completed: count, failed: count }).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  errors: z
    .looseObject({
      data: z
        .array(
          z.looseObject({
            code: z.string().nullable().optional(),
            message: z.string().nullable().optional(),
            line: z.number().nullable().optional(),
          }),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});
type OpenAIBatch = z.infer<typeof batchSchema>;

/** One line of an output or error file. */
const resultLineSchema = z.looseObject({
  custom_id: z.string(),
  response: z.looseObject({ status_code: z.number().int(), body: z.unknown() }).nullable().optional(),
  error: z
    .looseObject({ code: z.string().nullable().optional(), message: z.string().nullable().optional() })
    .nullable()
    .optional(),
});

/** The metadata key under which a batch carries the run's own batch id (so a lost submission is found). */
export const openaiBatchLabelKey = "aflab_batch";

function malformed(settings: OpenAISettings, what: string, error: z.ZodError): ProviderError {
  const issue = error.issues[0];
  return new ProviderError(
    `malformed ${what} from ${settings.baseUrl}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    { provider: settings.provider, isRetryable: false },
  );
}

const endedStates = new Set(["failed", "completed", "expired", "cancelled"]);

/** OpenAI's batch object as the provider-neutral status: what is not yet completed or failed is processing
 * while the batch runs, and expired or canceled once it ended so. */
export function openaiBatchStatus(batch: OpenAIBatch): BatchStatus {
  const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 };
  const rest = Math.max(0, counts.total - counts.completed - counts.failed);
  const ended = endedStates.has(batch.status);
  return {
    providerBatchId: batch.id,
    state: ended ? "ended" : batch.status === "cancelling" ? "canceling" : "in_progress",
    counts: {
      processing: ended ? 0 : rest,
      succeeded: counts.completed,
      errored: counts.failed + (ended && batch.status === "failed" ? rest : 0),
      canceled: batch.status === "cancelled" ? rest : 0,
      expired: batch.status === "expired" ? rest : 0,
    },
    createdAt: new Date(batch.created_at * 1000).toISOString(),
    label: batch.metadata?.[openaiBatchLabelKey] ?? null,
  };
}

/**
 * One line of an output or error file read into a result: a 200 response is read as a live reply; another
 * status, or an error (`batch_expired`, `batch_cancelled`, …), is why there is none.
 */
export function openaiResultOf(
  line: unknown,
  read: (customId: string, body: unknown) => GenerateResult,
): BatchItemResult | { malformed: z.ZodError } {
  const parsed = resultLineSchema.safeParse(line);
  if (!parsed.success) return { malformed: parsed.error };
  const { custom_id: customId, response, error } = parsed.data;
  if (error) {
    const message = `${error.code ?? "error"}: ${error.message ?? "no message"}`;
    if (error.code === "batch_expired") return { customId, type: "expired", message };
    if (error.code === "batch_cancelled") return { customId, type: "canceled", message };
    return { customId, type: "errored", message };
  }
  if (!response)
    return { customId, type: "errored", message: "a result line without a response or an error" };
  if (response.status_code !== 200) {
    const detail = z.looseObject({ error: z.looseObject({ message: z.string() }) }).safeParse(response.body);
    return {
      customId,
      type: "errored",
      message: `status ${response.status_code}: ${detail.success ? detail.data.error.message : "no message"}`,
    };
  }
  try {
    return { customId, type: "succeeded", result: read(customId, response.body) };
  } catch (caught) {
    return { customId, type: "errored", message: caught instanceof Error ? caught.message : String(caught) };
  }
}

/**
 * The OpenAI Batch API through the official SDK, for OpenAI and OpenAI-compatible servers that have it:
 * the requests go up as a JSONL file (`files.create`, purpose `batch`) of Chat Completions bodies, the
 * batch is made from it (`batches.create`, 24-hour window, the run's batch id in its metadata), and its
 * output and error files are read line by line (`files.content`). At most 50,000 requests or 200 MB per
 * batch. A 200 response is read exactly as a live reply and priced by `toResult`.
 */
export function createOpenAIBatchApi(
  settings: OpenAISettings & { supportsN: boolean },
  toResult: (completion: Completion) => GenerateResult,
): BatchApi {
  const connect = openaiConnection(settings);
  const line = (item: BatchItem) =>
    JSON.stringify({
      custom_id: item.customId,
      method: "POST",
      url: "/v1/chat/completions",
      body: openaiParams(settings, item.request, nOf(item.request)),
    });
  const nOf = (request: GenerateRequest) => (settings.supportsN ? (request.n ?? 1) : 1);
  const status = (raw: unknown) => {
    const parsed = batchSchema.safeParse(raw);
    if (!parsed.success) throw malformed(settings, "batch", parsed.error);
    return parsed.data;
  };
  const read = async function* (fileId: string, signal: AbortSignal | undefined) {
    const client = await connect();
    const response = await client.files.content(fileId, { signal: signal ?? null });
    if (!response.body) return;
    const lines = createInterface({
      input: Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const text of lines) {
      if (text.trim() === "") continue;
      try {
        yield JSON.parse(text) as unknown;
      } catch {
        throw new ProviderError(`malformed batch result line from ${settings.baseUrl}: not JSON`, {
          provider: settings.provider,
          isRetryable: false,
        });
      }
    }
  };
  return {
    provider: settings.provider,
    limits: { requests: 50_000, bytes: 200 * 1024 * 1024 },
    // A bound, not a serialisation (that would allocate every body twice): the texts' UTF-8 bytes with
    // room for JSON escaping, plus the fields around them.
    requestBytes: (item) => {
      const request = item.request;
      let text = Buffer.byteLength(request.system) + Buffer.byteLength(request.prefill ?? "");
      for (const message of request.messages) text += Buffer.byteLength(message.content);
      return Math.ceil(text * 1.25) + 1024;
    },
    async submit(items, label, signal) {
      const client = await connect();
      const sdk = await loadOpenAISdk();
      const text = `${items.map(line).join("\n")}\n`;
      const file = await client.files.create(
        { file: await sdk.toFile(Buffer.from(text), `${label}.jsonl`), purpose: "batch" },
        { signal: signal ?? null },
      );
      const raw: unknown = await client.batches.create(
        {
          input_file_id: file.id,
          endpoint: "/v1/chat/completions",
          completion_window: "24h",
          metadata: { [openaiBatchLabelKey]: label },
        },
        { signal: signal ?? null },
      );
      const batch = openaiBatchStatus(status(raw));
      // A batch still validating reports no requests yet.
      if (
        batch.state === "in_progress" &&
        batch.counts.processing + batch.counts.succeeded + batch.counts.errored === 0
      )
        batch.counts.processing = items.length;
      return batch;
    },
    async retrieve(id, signal) {
      const client = await connect();
      return openaiBatchStatus(status(await client.batches.retrieve(id, { signal: signal ?? null })));
    },
    async *results(id, requestOf, signal) {
      const client = await connect();
      const batch = status(await client.batches.retrieve(id, { signal: signal ?? null }));
      const readReply = (customId: string, body: unknown) => {
        const request = requestOf(customId) ?? noRequest;
        return toResult(openaiCompletion(settings, request, nOf(request), body));
      };
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue;
        for await (const raw of read(fileId, signal)) {
          const result = openaiResultOf(raw, readReply);
          if ("malformed" in result) throw malformed(settings, "batch result line", result.malformed);
          yield result;
        }
      }
      // A batch that failed validation has no files: the engine stores each request without a result as
      // errored, and resume asks it again.
    },
    async cancel(id) {
      const client = await connect();
      return openaiBatchStatus(status(await client.batches.cancel(id)));
    },
    async listRecent(limit) {
      const client = await connect();
      const page = await client.batches.list({ limit: Math.min(limit, 100) });
      return page.data.map((entry: unknown) => openaiBatchStatus(status(entry)));
    },
  };
}

const noRequest: GenerateRequest = { system: "", messages: [], temperature: 1, maxTokens: 1 };
