import type { ServerResponse } from "node:http";
import { z } from "zod";
import { type FakeAnthropicBatchOptions, fakeAnthropicBatches } from "./fake-anthropic-batches.js";
import {
  echoText,
  type FakeServer,
  type FakeServerBaseOptions,
  type FaultSpec,
  fakeTokenCount,
  isRecordedReply,
  type RecordedReply,
  sendDropped,
  sendJson,
  sendRecorded,
  sha256,
  startFakeServer,
} from "./fake-shared.js";

/** What the fake hands to `respond`: the request, flattened to plain strings. */
export interface FakeAnthropicRequest {
  model: string;
  /** The system prompt, text blocks joined. */
  system: string;
  messages: Array<{ role: "user" | "assistant"; content: string }>;
  /** The content of a trailing assistant message (the prefill), if any. */
  prefill: string | undefined;
  temperature: number | undefined;
  maxTokens: number;
  /** `thinking.budget_tokens` when the request enabled extended thinking. */
  thinkingBudget: number | undefined;
  /** The JSON body as received. */
  body: unknown;
}

/** A content block the fake can answer with; it signs thinking blocks itself. */
export type FakeAnthropicBlock =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string }
  | { type: "redacted_thinking"; data: string };

/** A reply built from blocks, with an optional stop reason (e.g. `refusal`). */
export interface FakeAnthropicReply {
  blocks: FakeAnthropicBlock[];
  /** Default `end_turn` (`max_tokens` when the blocks are longer than max_tokens). */
  stopReason?: string;
}

/** What `respond` may return: text, text blocks, a reply of blocks, or a recorded body sent verbatim. */
export type FakeAnthropicAnswer = string | string[] | FakeAnthropicReply | RecordedReply;

export interface FakeAnthropicServerOptions extends FakeServerBaseOptions, FakeAnthropicBatchOptions {
  /**
   * The model's answer: the continuation after any prefill. A string array becomes several text blocks
   * in one message; `{ blocks }` adds thinking and redacted-thinking blocks and a stop reason;
   * `{ recordedBody }` is a recorded response sent byte for byte. Default: an echo of the last user message.
   * Thinking blocks and redacted data the fake has sent (in any reply, recorded ones included) are the
   * only ones it accepts back, unchanged, as the real API checks their signatures.
   */
  respond?: (request: FakeAnthropicRequest) => FakeAnthropicAnswer | Promise<FakeAnthropicAnswer>;
  /** Leave `cache_creation_input_tokens`/`cache_read_input_tokens` out of usage, as older responses did. */
  legacyUsage?: boolean;
  /** Requests per minute reported in the rate-limit headers (default 4000). */
  requestsPerMinute?: number;
}

const textBlockSchema = z.object({
  type: z.literal("text"),
  text: z.string().min(1, "text content blocks must be non-empty"),
  cache_control: z.object({ type: z.literal("ephemeral") }).optional(),
});

const contentBlockSchema = z.discriminatedUnion("type", [
  textBlockSchema,
  z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
  z.object({ type: z.literal("redacted_thinking"), data: z.string() }),
]);

const messagesRequestSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.union([z.string(), z.array(contentBlockSchema)]),
      }),
    )
    .min(1),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  stop_sequences: z.array(z.string()).optional(),
  thinking: z
    .discriminatedUnion("type", [
      z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024) }),
      z.object({ type: z.literal("disabled") }),
    ])
    .optional(),
});

/** `POST /v1/messages/count_tokens`: the request of a message, without what only generation needs. */
const countTokensRequestSchema = messagesRequestSchema.pick({
  model: true,
  messages: true,
  system: true,
  thinking: true,
});

type ContentBlock = z.infer<typeof contentBlockSchema>;

/** What creating a message gave: its payload (or a recorded body sent verbatim), or an API error. */
type MessageOutcome =
  | { ok: true; payload?: unknown; recordedBody?: string }
  | { ok: false; status: number; message: string };

function systemBlocksOf(system: string | Array<z.infer<typeof textBlockSchema>> | undefined) {
  if (system === undefined) return [];
  return typeof system === "string" ? [{ type: "text" as const, text: system }] : system;
}

function systemText(system: string | Array<z.infer<typeof textBlockSchema>> | undefined): string {
  return systemBlocksOf(system)
    .map((block) => block.text)
    .join("");
}

/**
 * The fake's input-token count of a request: the same deterministic tokenizer (`fakeTokenCount`) for the
 * count-tokens endpoint and for the usage a message reports, so an estimate can be checked against use.
 */
function inputTokensOf(system: string, messages: ReadonlyArray<{ content: string }>): number {
  return fakeTokenCount(system) + messages.reduce((sum, message) => sum + fakeTokenCount(message.content), 0);
}

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

function lastUserText(messages: Array<{ role: string; content: string }>): string {
  return [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
}

function textOf(content: string | ContentBlock[]): string {
  return typeof content === "string"
    ? content
    : content.map((block) => (block.type === "text" ? block.text : "")).join("");
}

/**
 * Starts a fake Anthropic Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`,
 * `GET /v1/models`) on 127.0.0.1 speaking the real wire format, with prompt-cache emulation, rate-limit
 * headers and fault injection. Counted and used input tokens come from the same tokenizer (`fakeTokenCount`).
 * It also speaks the Message Batches API (see `fakeAnthropicBatches`): processing delay, partial failures
 * and expiry by option.
 *
 * @example
 * const fake = await startFakeAnthropicServer({ respond: () => "<OUTPUT>ok</OUTPUT>" });
 * const client = createModelClient("anthropic/claude-3-opus-20240229", {
 *   baseUrl: fake.baseUrl,
 *   env: { ANTHROPIC_API_KEY: fake.apiKey },
 * });
 */
export async function startFakeAnthropicServer(
  options: FakeAnthropicServerOptions = {},
): Promise<FakeServer> {
  const cachedPrefixes = new Set<string>();
  const requestsPerMinute = options.requestsPerMinute ?? 4000;
  let served = 0;
  let messageCounter = 0;
  // Thinking blocks (text + signature) and redacted data this fake has sent: the only ones it takes back.
  const issuedThinking = new Set<string>();
  const issuedRedacted = new Set<string>();
  const signatureOf = (thinking: string) =>
    Buffer.from(sha256(`fake-signature\u0000${thinking}`), "hex").toString("base64");
  const remember = (blocks: readonly unknown[]) => {
    for (const block of blocks) {
      const entry = block as { type?: unknown; thinking?: unknown; signature?: unknown; data?: unknown };
      if (
        entry.type === "thinking" &&
        typeof entry.thinking === "string" &&
        typeof entry.signature === "string"
      )
        issuedThinking.add(`${entry.signature}\u0000${entry.thinking}`);
      if (entry.type === "redacted_thinking" && typeof entry.data === "string")
        issuedRedacted.add(entry.data);
    }
  };

  const rateLimitHeaders = (): Record<string, string> => {
    const reset = new Date(Date.now() + 60_000).toISOString();
    return {
      "anthropic-ratelimit-requests-limit": String(requestsPerMinute),
      "anthropic-ratelimit-requests-remaining": String(
        Math.max(0, requestsPerMinute - (served % requestsPerMinute)),
      ),
      "anthropic-ratelimit-requests-reset": reset,
      "anthropic-ratelimit-tokens-limit": "400000",
      "anthropic-ratelimit-tokens-remaining": "400000",
      "anthropic-ratelimit-tokens-reset": reset,
    };
  };

  const sendError = (
    response: ServerResponse,
    status: number,
    message: string,
    extra: Record<string, string>,
  ) => {
    sendJson(
      response,
      status,
      { type: "error", error: { type: errorTypes[status] ?? "api_error", message } },
      { "request-id": `req_fake_${served}`, ...extra },
    );
  };

  const sendFault = (response: ServerResponse, fault: FaultSpec): boolean => {
    const extra = fault.headers ?? {};
    switch (fault.kind) {
      case "rate-limit": {
        const seconds = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
        const headers: Record<string, string> = {
          ...rateLimitHeaders(),
          "anthropic-ratelimit-requests-remaining": "0",
          "anthropic-ratelimit-requests-reset": new Date(Date.now() + (seconds ?? 1) * 1000).toISOString(),
        };
        if (seconds !== null) headers["retry-after"] = String(seconds);
        sendError(response, 429, "Number of requests has exceeded your rate limit.", {
          ...headers,
          ...extra,
        });
        return true;
      }
      case "overloaded":
        sendError(response, 529, "Overloaded", extra);
        return true;
      case "server-error":
        sendError(response, 500, "Internal server error", extra);
        return true;
      case "bad-request":
        sendError(response, 400, "The request was invalid.", extra);
        return true;
      case "unauthorized":
        sendError(response, 401, "invalid x-api-key", extra);
        return true;
      case "not-found":
        sendError(response, 404, "model: not found", extra);
        return true;
      case "quota":
        sendError(response, 400, "Your credit balance is too low to access the Anthropic API.", extra);
        return true;
      default:
        return false;
    }
  };

  /**
   * A message for a request body, as \`POST /v1/messages\` answers it: the payload, a recorded body, or an
   * error. Shared by the live endpoint and the batches, so a batch's results are what live calls return.
   */
  const createMessage = async (body: unknown): Promise<MessageOutcome> => {
    const parsed = messagesRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        status: 400,
        message: `${issue?.path.join(".") ?? "body"}: ${issue?.message ?? "invalid"}`,
      };
    }
    const request = parsed.data;
    if (options.models && !options.models.includes(request.model))
      return { ok: false, status: 404, message: `model: ${request.model}` };
    const thinkingBudget = request.thinking?.type === "enabled" ? request.thinking.budget_tokens : undefined;
    // The rules of extended thinking, as the real API enforces them.
    if (thinkingBudget !== undefined) {
      if (thinkingBudget >= request.max_tokens)
        return {
          ok: false,
          status: 400,
          message: "`max_tokens` must be greater than `thinking.budget_tokens`",
        };
      if (request.temperature !== undefined && request.temperature !== 1)
        return {
          ok: false,
          status: 400,
          message: "`temperature` may only be set to 1 when thinking is enabled.",
        };
    }
    for (const [index, message] of request.messages.entries()) {
      if (typeof message.content === "string") continue;
      for (const [position, block] of message.content.entries()) {
        if (block.type === "text") continue;
        if (message.role !== "assistant")
          return {
            ok: false,
            status: 400,
            message: `messages.${index}.content.${position}: thinking blocks belong to assistant messages`,
          };
        if (block.type === "thinking" && !issuedThinking.has(`${block.signature}\u0000${block.thinking}`))
          return {
            ok: false,
            status: 400,
            message: `messages.${index}.content.${position}: Invalid \`signature\` in \`thinking\` block`,
          };
        if (block.type === "redacted_thinking" && !issuedRedacted.has(block.data))
          return {
            ok: false,
            status: 400,
            message: `messages.${index}.content.${position}: Invalid \`data\` in \`redacted_thinking\` block`,
          };
      }
    }
    const messages = request.messages.map((message) => ({
      role: message.role,
      content: textOf(message.content),
    }));
    const last = messages[messages.length - 1];
    const prefill = last?.role === "assistant" ? last.content : undefined;
    if (prefill !== undefined && /\s$/.test(prefill))
      return {
        ok: false,
        status: 400,
        message: "final assistant content cannot end with trailing whitespace",
      };
    if (prefill !== undefined && thinkingBudget !== undefined)
      return {
        ok: false,
        status: 400,
        message: "When `thinking` is enabled, a final `assistant` message must start with a thinking block.",
      };

    const systemBlocks = systemBlocksOf(request.system);
    const system = systemText(request.system);
    const respond =
      options.respond ?? ((input: FakeAnthropicRequest) => echoText(lastUserText(input.messages)));
    const answer = await respond({
      model: request.model,
      system,
      messages,
      prefill,
      temperature: request.temperature,
      maxTokens: request.max_tokens,
      thinkingBudget,
      body,
    });
    if (isRecordedReply(answer)) {
      try {
        const recorded = JSON.parse(answer.recordedBody) as { content?: unknown };
        if (Array.isArray(recorded.content)) remember(recorded.content);
      } catch {
        // A recorded body that is not JSON is sent as it is: the client's error is the test's subject.
      }
      return { ok: true, recordedBody: answer.recordedBody };
    }
    const reply: FakeAnthropicReply =
      typeof answer === "string"
        ? { blocks: [{ type: "text", text: answer }] }
        : Array.isArray(answer)
          ? { blocks: answer.map((text) => ({ type: "text" as const, text })) }
          : answer;
    const content = reply.blocks.map((block) =>
      block.type === "thinking" ? { ...block, signature: signatureOf(block.thinking) } : block,
    );
    remember(content);

    // Prompt caching: tokens up to the last cache_control'd system block are written on first sight, read after.
    let cachedPrefixTokens = 0;
    let cachedPrefix = "";
    let prefixLength = 0;
    systemBlocks.forEach((block, index) => {
      if ("cache_control" in block && block.cache_control) {
        prefixLength = index + 1;
      }
    });
    if (prefixLength > 0) {
      cachedPrefix = systemBlocks
        .slice(0, prefixLength)
        .map((block) => block.text)
        .join("");
      cachedPrefixTokens = fakeTokenCount(cachedPrefix);
    }
    const totalInput = inputTokensOf(system, messages);
    let cacheCreation = 0;
    let cacheRead = 0;
    // Responses from before prompt caching had no cache fields and billed the whole prompt as input.
    if (cachedPrefixTokens > 0 && !options.legacyUsage) {
      const key = sha256(`${request.model}\u0000${cachedPrefix}`);
      if (cachedPrefixes.has(key)) cacheRead = cachedPrefixTokens;
      else {
        cachedPrefixes.add(key);
        cacheCreation = cachedPrefixTokens;
      }
    }
    // Thinking is billed as output, as the real API does; redacted thinking counts by its data length.
    let outputTokens = content.reduce(
      (sum, block) =>
        sum +
        fakeTokenCount(
          block.type === "text" ? block.text : block.type === "thinking" ? block.thinking : block.data,
        ),
      0,
    );
    let stopReason = reply.stopReason ?? "end_turn";
    if (outputTokens > request.max_tokens) {
      outputTokens = request.max_tokens;
      stopReason = "max_tokens";
    }
    const usage: Record<string, number> = {
      input_tokens: totalInput - cacheCreation - cacheRead,
      output_tokens: outputTokens,
    };
    if (!options.legacyUsage) {
      usage.cache_creation_input_tokens = cacheCreation;
      usage.cache_read_input_tokens = cacheRead;
    }
    messageCounter += 1;
    const payload = {
      id: `msg_fake_${messageCounter.toString().padStart(6, "0")}`,
      type: "message",
      role: "assistant",
      model: request.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    };
    return { ok: true, payload };
  };

  let self: FakeServer | undefined;
  const batches = fakeAnthropicBatches(
    options,
    (body) => createMessage(body),
    () => self?.baseUrl ?? "",
  );
  self = await startFakeServer(
    options,
    "",
    async ({ request: incoming, response, method, path, body, fault, authorized }) => {
      served += 1;
      if (!authorized) return sendError(response, 401, "invalid x-api-key", {});
      const query = new URL(incoming.url ?? "/", "http://127.0.0.1").searchParams;
      const length = Number(incoming.headers["content-length"] ?? 0);
      if (await batches.handle(method, path, query, body, length, response)) return;
      if (method === "GET" && path === "/v1/models") {
        const names = options.models ?? ["claude-3-opus-20240229", "claude-3-5-sonnet-20240620"];
        return sendJson(response, 200, {
          data: names.map((id) => ({
            type: "model",
            id,
            display_name: id,
            created_at: "2024-02-29T00:00:00Z",
          })),
          has_more: false,
          first_id: names[0] ?? null,
          last_id: names[names.length - 1] ?? null,
        });
      }
      if (method === "POST" && path === "/v1/messages/count_tokens") {
        const parsed = countTokensRequestSchema.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return sendError(
            response,
            400,
            `${issue?.path.join(".") ?? "body"}: ${issue?.message ?? "invalid"}`,
            {},
          );
        }
        if (options.models && !options.models.includes(parsed.data.model))
          return sendError(response, 404, `model: ${parsed.data.model}`, {});
        const system = systemText(parsed.data.system);
        const messages = parsed.data.messages.map((message) => ({ content: textOf(message.content) }));
        return sendJson(response, 200, { input_tokens: inputTokensOf(system, messages) });
      }
      if (method !== "POST" || path !== "/v1/messages")
        return sendError(response, 404, `${method} ${path} does not exist`, {});
      if (fault.kind !== "drop" && sendFault(response, fault)) return;
      const outcome = await createMessage(body);
      if (!outcome.ok) return sendError(response, outcome.status, outcome.message, {});
      if (outcome.recordedBody !== undefined) {
        if (fault.kind === "drop") return sendDropped(response, JSON.parse(outcome.recordedBody));
        return sendRecorded(response, outcome.recordedBody, {
          "request-id": `req_fake_${served}`,
          ...rateLimitHeaders(),
        });
      }
      if (fault.kind === "drop") return sendDropped(response, outcome.payload);
      sendJson(response, 200, outcome.payload, { "request-id": `req_fake_${served}`, ...rateLimitHeaders() });
    },
  );
  return self;
}
