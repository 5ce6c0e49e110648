import type { ServerResponse } from "node:http";
import { z } from "zod";
import { sendJson } from "./fake-shared.js";

/** How one request of a batch ends. */
export type FakeBatchResultType = "succeeded" | "errored" | "expired" | "canceled";

export interface FakeAnthropicBatchOptions {
  /** Milliseconds from a batch's creation until it ends (default 0: it has ended at the next retrieve). */
  batchProcessingMs?: number;
  /**
   * How a request ends, by its custom id and how many times that id was submitted before (0 the first
   * time): for partial failures and expiry. Default `succeeded` (`errored` when the message is an error).
   */
  batchResult?: (customId: string, earlierSubmissions: number) => FakeBatchResultType;
}

/** What the fake's message endpoint gives for a request body. */
export type CreateMessage = (
  body: unknown,
) => Promise<
  { ok: true; payload?: unknown; recordedBody?: string } | { ok: false; status: number; message: string }
>;

const createBatchSchema = z.object({
  requests: z
    .array(
      z.object({
        custom_id: z
          .string()
          .regex(/^[a-zA-Z0-9_-]{1,64}$/, "custom_id: expected 1 to 64 of a-z, A-Z, 0-9, _ or -"),
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1, "requests: expected at least one request")
    .max(100_000, "requests: at most 100,000 requests per batch"),
});

interface Batch {
  id: string;
  createdAt: Date;
  endsAt: number;
  cancelInitiatedAt: Date | null;
  requests: Array<{ custom_id: string; params: Record<string, unknown> }>;
  /** Set once processing ended: one JSONL line per request, and the counts. */
  results: string[] | null;
  counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  endedAt: Date | null;
}

/** The largest batch body Anthropic accepts. */
const maxBatchBytes = 256 * 1024 * 1024;

/**
 * The Message Batches API of the fake Anthropic server (`POST /v1/messages/batches`, `GET …/{id}`,
 * `GET …/{id}/results`, `POST …/{id}/cancel`, `GET /v1/messages/batches`), with the real object shapes.
 * Each request is answered, when the batch ends, by the same code as `POST /v1/messages`.
 */
export function fakeAnthropicBatches(
  options: FakeAnthropicBatchOptions,
  createMessage: CreateMessage,
  origin: () => string,
) {
  const batches = new Map<string, Batch>();
  const submissions = new Map<string, number>();
  let counter = 0;

  const view = (batch: Batch) => ({
    id: batch.id,
    type: "message_batch",
    processing_status: batch.results ? "ended" : batch.cancelInitiatedAt ? "canceling" : "in_progress",
    request_counts: batch.counts,
    ended_at: batch.endedAt?.toISOString() ?? null,
    created_at: batch.createdAt.toISOString(),
    expires_at: new Date(batch.createdAt.getTime() + 24 * 3600 * 1000).toISOString(),
    archived_at: null,
    cancel_initiated_at: batch.cancelInitiatedAt?.toISOString() ?? null,
    results_url: batch.results ? `${origin()}/v1/messages/batches/${batch.id}/results` : null,
  });

  const resultOf = async (
    request: Batch["requests"][number],
    type: FakeBatchResultType,
  ): Promise<{ type: FakeBatchResultType; line: string }> => {
    if (type === "succeeded") {
      const outcome = await createMessage(request.params);
      if (!outcome.ok)
        return {
          type: "errored",
          line: JSON.stringify({
            custom_id: request.custom_id,
            result: {
              type: "errored",
              error: {
                type: "error",
                error: {
                  type: outcome.status === 400 ? "invalid_request_error" : "api_error",
                  message: outcome.message,
                },
                request_id: null,
              },
            },
          }),
        };
      const message = outcome.recordedBody !== undefined ? JSON.parse(outcome.recordedBody) : outcome.payload;
      return { type, line: JSON.stringify({ custom_id: request.custom_id, result: { type, message } }) };
    }
    if (type === "errored")
      return {
        type,
        line: JSON.stringify({
          custom_id: request.custom_id,
          result: {
            type,
            error: {
              type: "error",
              error: { type: "api_error", message: "Internal server error" },
              request_id: null,
            },
          },
        }),
      };
    return { type, line: JSON.stringify({ custom_id: request.custom_id, result: { type } }) };
  };

  const settling = new Map<string, Promise<void>>();
  /** Ends a batch whose time has come (or that was cancelled): every result is made once. */
  const settle = (batch: Batch): Promise<void> => {
    if (batch.results) return Promise.resolve();
    if (!batch.cancelInitiatedAt && Date.now() < batch.endsAt) return Promise.resolve();
    let running = settling.get(batch.id);
    if (!running) {
      running = process(batch).finally(() => settling.delete(batch.id));
      settling.set(batch.id, running);
    }
    return running;
  };

  const process = async (batch: Batch) => {
    const lines: string[] = [];
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const request of batch.requests) {
      const earlier = (submissions.get(request.custom_id) ?? 1) - 1;
      const planned = batch.cancelInitiatedAt
        ? "canceled"
        : (options.batchResult?.(request.custom_id, earlier) ?? "succeeded");
      const { type, line } = await resultOf(request, planned);
      counts[type] += 1;
      lines.push(line);
    }
    batch.results = lines;
    batch.counts = counts;
    batch.endedAt = new Date();
  };

  const notFound = (response: ServerResponse, id: string) =>
    sendJson(response, 404, {
      type: "error",
      error: { type: "not_found_error", message: `message batch ${id} not found` },
    });

  return {
    /** Answers a batches request; false when `path` is none of the batch endpoints. */
    async handle(
      method: string,
      path: string,
      query: URLSearchParams,
      body: unknown,
      rawLength: number,
      response: ServerResponse,
    ): Promise<boolean> {
      if (!path.startsWith("/v1/messages/batches")) return false;
      const parts = path.slice("/v1/messages/batches".length).split("/").filter(Boolean);
      if (method === "POST" && parts.length === 0) {
        if (rawLength > maxBatchBytes) {
          sendJson(response, 413, {
            type: "error",
            error: {
              type: "request_too_large",
              message: "Request exceeds the maximum allowed number of bytes.",
            },
          });
          return true;
        }
        const parsed = createBatchSchema.safeParse(body);
        const ids = parsed.success ? parsed.data.requests.map((request) => request.custom_id) : [];
        if (!parsed.success || new Set(ids).size !== ids.length) {
          const message = parsed.success
            ? "requests: custom_id values must be unique within a batch"
            : (parsed.error.issues[0]?.message ?? "invalid batch");
          sendJson(response, 400, { type: "error", error: { type: "invalid_request_error", message } });
          return true;
        }
        counter += 1;
        const batch: Batch = {
          id: `msgbatch_fake${counter.toString().padStart(8, "0")}`,
          createdAt: new Date(),
          endsAt: Date.now() + (options.batchProcessingMs ?? 0),
          cancelInitiatedAt: null,
          requests: parsed.data.requests,
          results: null,
          counts: { processing: ids.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
          endedAt: null,
        };
        for (const id of ids) submissions.set(id, (submissions.get(id) ?? 0) + 1);
        batches.set(batch.id, batch);
        sendJson(response, 200, view(batch));
        return true;
      }
      if (method === "GET" && parts.length === 0) {
        const limit = Math.min(1000, Math.max(1, Number(query.get("limit") ?? 20) || 20));
        const newestFirst = [...batches.values()].reverse();
        for (const batch of newestFirst) await settle(batch);
        const afterId = query.get("after_id");
        const start = afterId ? newestFirst.findIndex((batch) => batch.id === afterId) + 1 : 0;
        const page = newestFirst.slice(start, start + limit);
        sendJson(response, 200, {
          data: page.map(view),
          has_more: start + limit < newestFirst.length,
          first_id: page[0]?.id ?? null,
          last_id: page[page.length - 1]?.id ?? null,
        });
        return true;
      }
      const batch = batches.get(parts[0] ?? "");
      if (!batch) {
        notFound(response, parts[0] ?? "");
        return true;
      }
      if (method === "GET" && parts.length === 1) {
        await settle(batch);
        sendJson(response, 200, view(batch));
        return true;
      }
      if (method === "POST" && parts[1] === "cancel" && parts.length === 2) {
        if (!batch.results) batch.cancelInitiatedAt ??= new Date();
        sendJson(response, 200, view(batch));
        return true;
      }
      if (method === "GET" && parts[1] === "results" && parts.length === 2) {
        await settle(batch);
        if (!batch.results) {
          sendJson(response, 400, {
            type: "error",
            error: {
              type: "invalid_request_error",
              message: `message batch ${batch.id} is still in progress`,
            },
          });
          return true;
        }
        const text = `${batch.results.join("\n")}\n`;
        response.writeHead(200, {
          "content-type": "application/binary",
          "content-length": Buffer.byteLength(text),
        });
        response.end(text);
        return true;
      }
      sendJson(response, 404, {
        type: "error",
        error: { type: "not_found_error", message: `${method} ${path} does not exist` },
      });
      return true;
    },
  };
}
