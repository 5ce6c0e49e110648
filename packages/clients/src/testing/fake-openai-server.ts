import type { ServerResponse } from "node:http";
import { z } from "zod";
import {
  type CompletionOutcome,
  type FakeOpenAIBatchOptions,
  type FakeOpenAIBatchSubmission,
  fakeOpenAIBatches,
} from "./fake-openai-batches.js";
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
export interface FakeOpenAIRequest {
  model: string;
  /** System (or developer) messages joined. */
  system: string;
  /** User and assistant messages in order. */
  messages: Array<{ role: "user" | "assistant"; content: string }>;
  /** The content of a trailing assistant message, if any. */
  prefill: string | undefined;
  temperature: number | undefined;
  maxTokens: number | undefined;
  n: number;
  /** The JSON body as received. */
  body: unknown;
}

/** One choice with the fields reasoning models and refusals add. */
export interface FakeOpenAIChoice {
  /** The message content; null for a refusal without text. Default "". */
  content?: string | null;
  /** Sent as `reasoning_content` (DeepSeek, vLLM, xAI). */
  reasoningContent?: string;
  /** Sent as `reasoning` (OpenRouter, Groq). */
  reasoning?: string;
  /** Sent as the message `refusal`. */
  refusal?: string;
  /** Default `stop` (`length` when the content is longer than max tokens). */
  finishReason?: string;
}

/** What `respond` may return: texts, choices with reasoning or refusals, or a recorded body sent verbatim. */
export type FakeOpenAIAnswer = string | Array<string | FakeOpenAIChoice> | FakeOpenAIChoice | RecordedReply;

export interface FakeOpenAIServerOptions extends FakeServerBaseOptions, FakeOpenAIBatchOptions {
  /**
   * The model's answer. A string array gives one text per choice (cycled when shorter than `n`);
   * a string is used for every choice; a `FakeOpenAIChoice` adds reasoning fields, a refusal or a finish
   * reason; `{ recordedBody }` is a recorded response sent byte for byte. Default: an echo of the last
   * user message. A request that sends `reasoning_content` back in its messages is refused with 400, as
   * DeepSeek does.
   */
  respond?: (request: FakeOpenAIRequest) => FakeOpenAIAnswer | Promise<FakeOpenAIAnswer>;
  /** Requests per minute reported in the rate-limit headers (default 5000). */
  requestsPerMinute?: number;
}

const contentSchema = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))]);

const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "developer", "user", "assistant"]),
        content: contentSchema,
        reasoning_content: z.unknown().optional(),
      }),
    )
    .min(1),
  n: z.number().int().min(1).max(128).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
});

function textOf(content: z.infer<typeof contentSchema>): string {
  return typeof content === "string" ? content : content.map((part) => part.text).join("");
}

function lastUserText(messages: Array<{ role: string; content: string }>): string {
  return [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
}

/** The fake OpenAI server, with the record of every batch made (and the custom ids in its input file). */
export interface FakeOpenAIServer extends FakeServer {
  readonly batchSubmissions: readonly FakeOpenAIBatchSubmission[];
}

/**
 * Starts a fake OpenAI Chat Completions API (`POST /v1/chat/completions`, `GET /v1/models`) on 127.0.0.1
 * speaking the real wire format, with cached-token emulation, `x-ratelimit-*` headers and fault injection.
 * Its `baseUrl` ends in `/v1`, as the OpenAI SDK expects. It also speaks the Files and Batches APIs (see
 * `fakeOpenAIBatches`): processing delay, partial failures, validation failure and expiry by option.
 */

export async function startFakeOpenAIServer(
  options: FakeOpenAIServerOptions = {},
): Promise<FakeOpenAIServer> {
  const seenPrefixes = new Set<string>();
  const requestsPerMinute = options.requestsPerMinute ?? 5000;
  let served = 0;
  let completionCounter = 0;

  const rateLimitHeaders = (): Record<string, string> => ({
    "x-ratelimit-limit-requests": String(requestsPerMinute),
    "x-ratelimit-remaining-requests": String(Math.max(0, requestsPerMinute - (served % requestsPerMinute))),
    "x-ratelimit-reset-requests": "12ms",
    "x-ratelimit-limit-tokens": "2000000",
    "x-ratelimit-remaining-tokens": "2000000",
    "x-ratelimit-reset-tokens": "0s",
  });

  const sendError = (
    response: ServerResponse,
    status: number,
    error: { message: string; type: string; code: string | null; param?: string | null },
    extra: Record<string, string> = {},
  ) => {
    sendJson(
      response,
      status,
      { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } },
      { "x-request-id": `req_fake_${served}`, ...extra },
    );
  };

  const sendFault = (response: ServerResponse, fault: FaultSpec): boolean => {
    const extra = fault.headers ?? {};
    switch (fault.kind) {
      case "rate-limit": {
        const seconds = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
        const headers: Record<string, string> = {
          ...rateLimitHeaders(),
          "x-ratelimit-remaining-requests": "0",
        };
        headers["x-ratelimit-reset-requests"] = `${Math.round((seconds ?? 1) * 1000)}ms`;
        if (seconds !== null) headers["retry-after"] = String(seconds);
        sendError(
          response,
          429,
          { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" },
          { ...headers, ...extra },
        );
        return true;
      }
      case "overloaded":
        sendError(
          response,
          503,
          { message: "The server is overloaded, please retry.", type: "server_error", code: null },
          extra,
        );
        return true;
      case "server-error":
        sendError(
          response,
          500,
          { message: "The server had an error processing your request.", type: "server_error", code: null },
          extra,
        );
        return true;
      case "bad-request":
        sendError(
          response,
          400,
          { message: "Invalid request.", type: "invalid_request_error", code: null },
          extra,
        );
        return true;
      case "unauthorized":
        sendError(
          response,
          401,
          { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
          extra,
        );
        return true;
      case "not-found":
        sendError(
          response,
          404,
          { message: "The model does not exist.", type: "invalid_request_error", code: "model_not_found" },
          extra,
        );
        return true;
      case "quota":
        sendError(
          response,
          429,
          {
            message: "You exceeded your current quota, please check your plan and billing details.",
            type: "insufficient_quota",
            code: "insufficient_quota",
          },
          extra,
        );
        return true;
      default:
        return false;
    }
  };

  /**
   * A chat completion for a request body, as `POST /v1/chat/completions` answers it: the payload, a
   * recorded body, or an error. Shared by the live endpoint and the batches, so a batch's results are
   * what live calls return.
   */
  const createCompletion = async (body: unknown): Promise<CompletionOutcome> => {
    const parsed = chatRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        status: 400,
        error: {
          message: `Invalid value for '${issue?.path.join(".") ?? "body"}': ${issue?.message ?? "invalid"}`,
          type: "invalid_request_error",
          code: "invalid_value",
          param: issue?.path.join(".") ?? null,
        },
      };
    }
    const request = parsed.data;
    if (request.messages.some((message) => message.reasoning_content !== undefined))
      return {
        ok: false,
        status: 400,
        error: {
          message: "reasoning_content must not be sent back in the input messages",
          type: "invalid_request_error",
          code: "invalid_request_error",
        },
      };
    if (options.models && !options.models.includes(request.model))
      return {
        ok: false,
        status: 404,
        error: {
          message: `The model \`${request.model}\` does not exist or you do not have access to it.`,
          type: "invalid_request_error",
          code: "model_not_found",
        },
      };

    const system = request.messages
      .filter((message) => message.role === "system" || message.role === "developer")
      .map((message) => textOf(message.content))
      .join("\n");
    const messages = request.messages
      .filter(
        (message): message is typeof message & { role: "user" | "assistant" } =>
          message.role === "user" || message.role === "assistant",
      )
      .map((message) => ({ role: message.role, content: textOf(message.content) }));
    const last = messages[messages.length - 1];
    const n = request.n ?? 1;
    const maxTokens = request.max_completion_tokens ?? request.max_tokens;
    const respond = options.respond ?? ((input: FakeOpenAIRequest) => echoText(lastUserText(input.messages)));
    const answer = await respond({
      model: request.model,
      system,
      messages,
      prefill: last?.role === "assistant" ? last.content : undefined,
      temperature: request.temperature,
      maxTokens,
      n,
      body,
    });
    if (isRecordedReply(answer)) return { ok: true, recordedBody: answer.recordedBody };
    const answers: FakeOpenAIChoice[] = (Array.isArray(answer) ? answer : [answer]).map((entry) =>
      typeof entry === "string" ? { content: entry } : entry,
    );

    // Automatic prompt caching: a system prompt seen before is reported as cached input.
    const systemTokens = fakeTokenCount(system);
    const promptTokens = systemTokens + messages.reduce((sum, m) => sum + fakeTokenCount(m.content), 0);
    const prefixKey = sha256(`${request.model}\u0000${system}`);
    const cachedTokens = systemTokens > 0 && seenPrefixes.has(prefixKey) ? systemTokens : 0;
    if (systemTokens > 0) seenPrefixes.add(prefixKey);

    let completionTokens = 0;
    let reasoningTokens = 0;
    const choices = Array.from({ length: n }, (_, index) => {
      const choice: FakeOpenAIChoice = answers.length === 0 ? {} : (answers[index % answers.length] ?? {});
      const text = choice.content === undefined ? "" : choice.content;
      const thinking = choice.reasoningContent ?? choice.reasoning;
      // As OpenAI and DeepSeek count them, reasoning tokens are part of the completion tokens.
      const thinkingTokens = thinking === undefined ? 0 : fakeTokenCount(thinking);
      let tokens = fakeTokenCount(text ?? "") + fakeTokenCount(choice.refusal ?? "") + thinkingTokens;
      let finishReason = choice.finishReason ?? "stop";
      if (maxTokens !== undefined && tokens > maxTokens) {
        tokens = maxTokens;
        finishReason = "length";
      }
      completionTokens += tokens;
      reasoningTokens += thinkingTokens;
      return {
        index,
        message: {
          role: "assistant",
          content: text,
          ...(choice.reasoningContent === undefined ? {} : { reasoning_content: choice.reasoningContent }),
          ...(choice.reasoning === undefined ? {} : { reasoning: choice.reasoning }),
          refusal: choice.refusal ?? null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: finishReason,
      };
    });
    completionCounter += 1;
    const payload = {
      id: `chatcmpl-fake${completionCounter.toString().padStart(6, "0")}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoningTokens, audio_tokens: 0 },
      },
      system_fingerprint: "fp_fake",
      service_tier: "default",
    };
    return { ok: true, payload };
  };

  const batches = fakeOpenAIBatches(
    options,
    (body) => createCompletion(body),
    () => served,
  );
  const self = await startFakeServer(
    options,
    "/v1",
    async ({ request: incoming, response, method, path, body, raw, fault, authorized }) => {
      served += 1;
      if (!authorized)
        return sendError(response, 401, {
          message: "Incorrect API key provided.",
          type: "invalid_request_error",
          code: "invalid_api_key",
        });
      const query = new URL(incoming.url ?? "/", "http://127.0.0.1").searchParams;
      if (
        await batches.handle(
          method,
          path,
          query,
          body,
          raw,
          incoming.headers,
          response,
          fault.kind === "drop",
        )
      )
        return;
      if (method === "GET" && path === "/v1/models") {
        const names = options.models ?? ["gpt-4o", "gpt-4o-mini"];
        return sendJson(response, 200, {
          object: "list",
          data: names.map((id) => ({ id, object: "model", created: 1715367049, owned_by: "system" })),
        });
      }
      if (method !== "POST" || path !== "/v1/chat/completions")
        return sendError(response, 404, {
          message: `Unknown request URL: ${method} ${path}.`,
          type: "invalid_request_error",
          code: "unknown_url",
        });
      if (fault.kind !== "drop" && sendFault(response, fault)) return;
      const outcome = await createCompletion(body);
      if (!outcome.ok) return sendError(response, outcome.status, outcome.error);
      if (outcome.recordedBody !== undefined) {
        if (fault.kind === "drop") return sendDropped(response, JSON.parse(outcome.recordedBody));
        return sendRecorded(response, outcome.recordedBody, {
          "x-request-id": `req_fake_${served}`,
          ...rateLimitHeaders(),
        });
      }
      if (fault.kind === "drop") return sendDropped(response, outcome.payload);
      sendJson(response, 200, outcome.payload, {
        "x-request-id": `req_fake_${served}`,
        ...rateLimitHeaders(),
      });
    },
  );
  return Object.assign(self, { batchSubmissions: batches.submissions });
}
