import { ProviderError } from "@aflab/core";
import { z } from "zod";
import type { BatchApi, BatchItem, BatchStatus } from "./batches.js";
import type { GenerateResult } from "./model-client.js";
import {
  anthropicCompletion,
  anthropicConnection,
  anthropicParams,
  type Completion,
  type TransportSettings,
} from "./transports.js";

const count = z.number().int().nonnegative();
const messageBatchSchema = z.looseObject({
  id: z.string(),
  processing_status: z.enum(["in_progress", "canceling", "ended"]),
  request_counts: z.object({
    processing: count,
    succeeded: count,
    errored: count,
    canceled: count,
    expired: count,
  }),
  created_at: z.string(),
});

const resultLineSchema = z.object({
  custom_id: z.string(),
  result: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("succeeded"), message: z.unknown() }),
    z.looseObject({
      type: z.literal("errored"),
      error: z.looseObject({ error: z.looseObject({ type: z.string(), message: z.string() }).optional() }),
    }),
    z.looseObject({ type: z.literal("canceled") }),
    z.looseObject({ type: z.literal("expired") }),
  ]),
});

function malformed(settings: TransportSettings, what: string, error: z.ZodError): ProviderError {
  const issue = error.issues[0];
  return new ProviderError(
    `malformed ${what} from ${settings.baseUrl}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    { provider: settings.provider, isRetryable: false },
  );
}

function status(settings: TransportSettings, raw: unknown): BatchStatus {
  const parsed = messageBatchSchema.safeParse(raw);
  if (!parsed.success) throw malformed(settings, "message batch", parsed.error);
  return {
    providerBatchId: parsed.data.id,
    state: parsed.data.processing_status,
    counts: parsed.data.request_counts,
    createdAt: parsed.data.created_at,
  };
}

/**
 * Anthropic Message Batches through the official SDK (`messages.batches.create / retrieve / results /
 * cancel / list`): at most 100,000 requests or 256 MB per batch. Each request is the same Messages body a
 * live call sends (system prompt with cache_control, so cache pricing stacks with the batch discount);
 * a succeeded result is read exactly as a live reply and priced by `price`.
 */
export function createAnthropicBatchApi(
  settings: TransportSettings,
  toResult: (completion: Completion) => GenerateResult,
): BatchApi {
  const connect = anthropicConnection(settings);
  const body = (item: BatchItem) => ({
    custom_id: item.customId,
    params: anthropicParams(settings, item.request),
  });
  return {
    provider: "anthropic",
    limits: { requests: 100_000, bytes: 256 * 1024 * 1024 },
    // A bound, not a serialisation (that would allocate every body twice): the texts' UTF-8 bytes with
    // room for JSON escaping, plus the fields around them.
    requestBytes: (item) => {
      const request = item.request;
      let text = Buffer.byteLength(request.system) + Buffer.byteLength(request.prefill ?? "");
      for (const message of request.messages)
        text +=
          Buffer.byteLength(message.content) + Buffer.byteLength(JSON.stringify(message.reasoning ?? null));
      return Math.ceil(text * 1.25) + 1024;
    },
    async submit(items, _label, signal) {
      const client = await connect();
      const raw: unknown = await client.messages.batches.create(
        { requests: items.map(body) },
        { signal: signal ?? null },
      );
      return status(settings, raw);
    },
    async retrieve(id, signal) {
      const client = await connect();
      return status(settings, await client.messages.batches.retrieve(id, {}, { signal: signal ?? null }));
    },
    async *results(id, requestOf, signal) {
      const client = await connect();
      const stream = await client.messages.batches.results(id, {}, { signal: signal ?? null });
      for await (const raw of stream as AsyncIterable<unknown>) {
        const parsed = resultLineSchema.safeParse(raw);
        if (!parsed.success) throw malformed(settings, "batch result", parsed.error);
        const { custom_id: customId, result } = parsed.data;
        if (result.type === "succeeded") {
          try {
            // The request tells how its prefill was sent (trailing whitespace is trimmed off it).
            const completion = anthropicCompletion(
              settings,
              requestOf(customId) ?? noPrefill,
              result.message,
            );
            yield { customId, type: "succeeded", result: toResult(completion) };
          } catch (error) {
            yield {
              customId,
              type: "errored",
              message: error instanceof Error ? error.message : String(error),
            };
          }
        } else if (result.type === "errored") {
          const detail = result.error.error;
          yield {
            customId,
            type: "errored",
            message: detail ? `${detail.type}: ${detail.message}` : "errored without a message",
          };
        } else {
          yield { customId, type: result.type, message: `the request was ${result.type} by the provider` };
        }
      }
    },
    async cancel(id) {
      const client = await connect();
      return status(settings, await client.messages.batches.cancel(id));
    },
    async listRecent(limit) {
      const client = await connect();
      const page = await client.messages.batches.list({ limit: Math.min(limit, 1000) });
      return page.data.map((entry: unknown) => status(settings, entry));
    },
  };
}

const noPrefill = { system: "", messages: [], temperature: 1, maxTokens: 1 };
