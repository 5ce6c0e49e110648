import type { ServerResponse } from "node:http";
import { z } from "zod";
import {
  echoText,
  type FakeServer,
  type FakeServerBaseOptions,
  type FaultSpec,
  fakeTokenCount,
  sendDropped,
  sendJson,
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
  /** The JSON body as received. */
  body: unknown;
}

export interface FakeAnthropicServerOptions extends FakeServerBaseOptions {
  /**
   * The model's answer: the continuation after any prefill. A string array becomes several text blocks
   * in one message. Default: an echo of the last user message.
   */
  respond?: (request: FakeAnthropicRequest) => string | string[] | Promise<string | string[]>;
  /** Leave `cache_creation_input_tokens`/`cache_read_input_tokens` out of usage, as older responses did. */
  legacyUsage?: boolean;
  /** Requests per minute reported in the rate-limit headers (default 4000). */
  requestsPerMinute?: number;
}

const textBlockSchema = z.object({
  type: z.literal("text"),
  text: z.string(),
  cache_control: z.object({ type: z.literal("ephemeral") }).optional(),
});

const messagesRequestSchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"]),
        content: z.union([z.string(), z.array(textBlockSchema)]),
      }),
    )
    .min(1),
  system: z.union([z.string(), z.array(textBlockSchema)]).optional(),
  temperature: z.number().min(0).max(1).optional(),
  stop_sequences: z.array(z.string()).optional(),
});

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

function textOf(content: string | Array<{ text: string }>): string {
  return typeof content === "string" ? content : content.map((block) => block.text).join("");
}

/**
 * Starts a fake Anthropic Messages API (`POST /v1/messages`, `GET /v1/models`) on 127.0.0.1 speaking the
 * real wire format, with prompt-cache emulation, rate-limit headers and fault injection.
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

  return startFakeServer(options, "", async ({ response, method, path, body, fault, authorized }) => {
    served += 1;
    if (!authorized) return sendError(response, 401, "invalid x-api-key", {});
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
    if (method !== "POST" || path !== "/v1/messages")
      return sendError(response, 404, `${method} ${path} does not exist`, {});
    if (fault.kind !== "drop" && sendFault(response, fault)) return;

    const parsed = messagesRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendError(
        response,
        400,
        `${issue?.path.join(".") ?? "body"}: ${issue?.message ?? "invalid"}`,
        {},
      );
    }
    const request = parsed.data;
    if (options.models && !options.models.includes(request.model))
      return sendError(response, 404, `model: ${request.model}`, {});
    const messages = request.messages.map((message) => ({
      role: message.role,
      content: textOf(message.content),
    }));
    const last = messages[messages.length - 1];
    const prefill = last?.role === "assistant" ? last.content : undefined;
    if (prefill !== undefined && /\s$/.test(prefill))
      return sendError(response, 400, "final assistant content cannot end with trailing whitespace", {});

    const systemBlocks =
      request.system === undefined
        ? []
        : typeof request.system === "string"
          ? [{ type: "text" as const, text: request.system }]
          : request.system;
    const system = systemBlocks.map((block) => block.text).join("");
    const respond =
      options.respond ?? ((input: FakeAnthropicRequest) => echoText(lastUserText(input.messages)));
    const answer = await respond({
      model: request.model,
      system,
      messages,
      prefill,
      temperature: request.temperature,
      maxTokens: request.max_tokens,
      body,
    });
    const texts = Array.isArray(answer) ? answer : [answer];

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
    const totalInput =
      fakeTokenCount(system) + messages.reduce((sum, m) => sum + fakeTokenCount(m.content), 0);
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
    let outputTokens = texts.reduce((sum, text) => sum + fakeTokenCount(text), 0);
    let stopReason = "end_turn";
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
      content: texts.map((text) => ({ type: "text", text })),
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    };
    if (fault.kind === "drop") return sendDropped(response, payload);
    sendJson(response, 200, payload, { "request-id": `req_fake_${served}`, ...rateLimitHeaders() });
  });
}
