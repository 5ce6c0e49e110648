import { type ApiRefusal, issuesOf, ProviderError, type TurnReasoning, type Usage } from "@aflab/core";
import type Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/messages/messages.js";
import type OpenAI from "openai";
import { z } from "zod";
import type { GenerateRequest, TokenCountRequest } from "./model-client.js";
import {
  anthropicMessageContent,
  anthropicReasoning,
  anthropicRefusal,
  anthropicText,
  openaiRefusal,
  openaiReply,
} from "./reply-parts.js";
import { loadAnthropicSdk, loadOpenAISdk } from "./sdk-modules.js";

/** One HTTP call's worth of answer. */
export interface Completion {
  texts: string[];
  /** Per completion, its native reasoning (null when none). */
  reasoning: Array<TurnReasoning | null>;
  /** Per completion, the provider's refusal (null when none). */
  refusals: Array<ApiRefusal | null>;
  stopReasons: Array<string | null>;
  usage: Usage;
  /** False when the server reported no usage: the cost is then unknown, not zero. */
  usageKnown: boolean;
  model: string;
}

/** Sends one request (one HTTP call) to a provider, with `n` completions if the transport allows it. */
export interface Transport {
  send(request: GenerateRequest, n: number): Promise<Completion>;
  /** The provider's count of a request's input tokens, where it has one. */
  countTokens?(request: TokenCountRequest, signal?: AbortSignal): Promise<number>;
}

export interface TransportSettings {
  provider: string;
  modelName: string;
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  supportsPrefill: boolean;
}

function malformed(settings: TransportSettings, error: z.ZodError): ProviderError {
  const detail = issuesOf(error)
    .slice(0, 3)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join("; ");
  return new ProviderError(
    `malformed response from ${settings.baseUrl} for ${settings.modelName}: ${detail}`,
    {
      provider: settings.provider,
      isRetryable: false,
    },
  );
}

const tokenCount = z.number().int().nonnegative();

const anthropicResponseSchema = z.object({
  model: z.string(),
  content: z.array(
    z
      .looseObject({
        type: z.string(),
        text: z.string().optional(),
        thinking: z.string().optional(),
        signature: z.string().optional(),
        data: z.string().optional(),
      })
      .refine((block) => block.type !== "text" || block.text !== undefined, {
        message: "expected text on a text block",
      })
      .refine((block) => block.type !== "thinking" || block.thinking !== undefined, {
        message: "expected thinking on a thinking block",
      })
      .refine((block) => block.type !== "redacted_thinking" || block.data !== undefined, {
        message: "expected data on a redacted_thinking block",
      }),
  ),
  stop_reason: z.string().nullable(),
  stop_details: z
    .looseObject({
      category: z.string().nullable().optional(),
      explanation: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  usage: z.looseObject({
    input_tokens: tokenCount,
    output_tokens: tokenCount,
    // Older responses have no cache fields; some send null.
    cache_creation_input_tokens: tokenCount.nullable().optional(),
    cache_read_input_tokens: tokenCount.nullable().optional(),
    // Newer responses say how many of the output tokens were thinking.
    output_tokens_details: z
      .looseObject({ thinking_tokens: tokenCount.nullable().optional() })
      .nullable()
      .optional(),
  }),
});

/**
 * Anthropic Messages API through the official SDK. The system prompt goes out as one text block marked
 * `cache_control: ephemeral`; a prefill goes out as the final assistant message (without trailing
 * whitespace, which the API rejects) and is not part of the returned text. With a thinking budget the
 * request enables extended thinking and sends no temperature (the API allows only its default, 1);
 * earlier assistant turns go back with their thinking blocks unchanged. Thinking and redacted-thinking
 * blocks of the reply are returned as reasoning, apart from the text; `stop_reason: "refusal"` is a refusal.
 */
export function createAnthropicTransport(settings: TransportSettings): Transport {
  const connect = anthropicConnection(settings);
  return {
    async countTokens(request, signal) {
      const client = await connect();
      const texts = request.texts.filter((text) => text !== "");
      const raw: unknown = await client.messages.countTokens(
        {
          model: settings.modelName,
          // The API needs one non-empty message; a single "." stands in when there is nothing to count.
          messages: [
            {
              role: "user",
              content: texts.length === 0 ? "." : texts.map((text) => ({ type: "text" as const, text })),
            },
          ],
          ...(request.system === "" ? {} : { system: [{ type: "text", text: request.system }] }),
        },
        { signal: signal ?? null },
      );
      const parsed = z.object({ input_tokens: tokenCount }).safeParse(raw);
      if (!parsed.success) throw malformed(settings, parsed.error);
      return parsed.data.input_tokens;
    },
    async send(request) {
      const client = await connect();
      const raw: unknown = await client.messages.create(anthropicParams(settings, request), {
        signal: request.signal ?? null,
      });
      return anthropicCompletion(settings, request, raw);
    },
  };
}

/** The SDK client of a transport, made once; loading starts at once, in the background. */
export function anthropicConnection(settings: TransportSettings): () => Promise<Anthropic> {
  let sdkClient: Promise<Anthropic> | undefined;
  const connect = () =>
    (sdkClient ??= loadAnthropicSdk().then(
      (sdk) =>
        new sdk.default({
          apiKey: settings.apiKey,
          authToken: null,
          baseURL: settings.baseUrl,
          maxRetries: 0,
          timeout: settings.timeoutMs,
        }),
    ));
  // Start loading the SDK now, in the background: by the first request it is usually ready.
  connect().catch(() => {});
  return connect;
}

/** The Messages API body of a request (live, or as the `params` of a batch request). */
export function anthropicParams(
  settings: TransportSettings,
  request: GenerateRequest,
): MessageCreateParamsNonStreaming {
  const sentPrefill = (request.prefill ?? "").trimEnd();
  const messages: MessageCreateParamsNonStreaming["messages"] = request.messages.map((message) => ({
    role: message.role,
    content: anthropicMessageContent(message),
  }));
  if (sentPrefill !== "") messages.push({ role: "assistant", content: sentPrefill });
  const params: MessageCreateParamsNonStreaming = {
    model: settings.modelName,
    max_tokens: request.maxTokens,
    messages,
    ...(request.system === ""
      ? {}
      : { system: [{ type: "text", text: request.system, cache_control: { type: "ephemeral" } }] }),
    ...(request.thinkingBudget === undefined
      ? {}
      : { thinking: { type: "enabled", budget_tokens: request.thinkingBudget } }),
  };
  // The SDK's typed params no longer list temperature (deprecated for the newest models), but the API
  // takes it for the models these experiments sample, and sampling temperature is part of the design.
  // With extended thinking the API allows only its default temperature (1), so none is sent.
  return request.thinkingBudget === undefined
    ? ({ ...params, temperature: request.temperature } as MessageCreateParamsNonStreaming)
    : params;
}

/** A Messages API response (live, or a batch's succeeded result) read into a completion. */
export function anthropicCompletion(
  settings: TransportSettings,
  request: GenerateRequest,
  raw: unknown,
): Completion {
  const prefill = request.prefill ?? "";
  const sentPrefill = prefill.trimEnd();
  const parsed = anthropicResponseSchema.safeParse(raw);
  if (!parsed.success) throw malformed(settings, parsed.error);
  const response = parsed.data;
  let text = anthropicText(response.content);
  // The whitespace trimmed off the prefill belongs to the prefill, not to the answer.
  const trimmedTail = prefill.slice(sentPrefill.length);
  if (trimmedTail !== "" && text.startsWith(trimmedTail)) text = text.slice(trimmedTail.length);
  const thinkingTokens = response.usage.output_tokens_details?.thinking_tokens;
  return {
    texts: [text],
    reasoning: [anthropicReasoning(response.content)],
    refusals: [anthropicRefusal(response.stop_reason, response.stop_details)],
    stopReasons: [response.stop_reason],
    usage: {
      inputTokens: response.usage.input_tokens,
      // Thinking tokens are part of output_tokens: billed once, as output.
      outputTokens: response.usage.output_tokens,
      cacheWriteTokens: response.usage.cache_creation_input_tokens ?? 0,
      cacheReadTokens: response.usage.cache_read_input_tokens ?? 0,
      ...(thinkingTokens ? { reasoningTokens: thinkingTokens } : {}),
    },
    usageKnown: true,
    model: response.model,
  };
}

const openaiResponseSchema = z.object({
  model: z.string(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().nonnegative(),
        message: z.looseObject({
          content: z.string().nullable(),
          refusal: z.string().nullable().optional(),
          reasoning_content: z.string().nullable().optional(),
          reasoning: z.string().nullable().optional(),
        }),
        finish_reason: z.string().nullable(),
      }),
    )
    .min(1, "expected at least one choice"),
  usage: z
    .looseObject({
      prompt_tokens: tokenCount,
      completion_tokens: tokenCount,
      total_tokens: tokenCount.nullable().optional(),
      completion_tokens_details: z
        .looseObject({ reasoning_tokens: tokenCount.nullable().optional() })
        .nullable()
        .optional(),
      prompt_tokens_details: z
        .looseObject({ cached_tokens: tokenCount.nullable().optional() })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

/**
 * OpenAI Chat Completions (and OpenAI-compatible servers) through the official SDK. `n` is sent natively;
 * cached prompt tokens are reported apart from (and subtracted from) the input tokens. Native reasoning
 * (`reasoning_content`, `reasoning` or a leading `<think>` block) is returned apart from the text and is
 * never sent back; `finish_reason: "content_filter"` and a message `refusal` are refusals.
 */
export function createOpenAITransport(settings: OpenAISettings): Transport {
  const connect = openaiConnection(settings);
  return {
    async send(request, n) {
      const client = await connect();
      const raw: unknown = await client.chat.completions.create(openaiParams(settings, request, n), {
        signal: request.signal ?? null,
      });
      return openaiCompletion(settings, request, n, raw);
    },
  };
}

export type OpenAISettings = TransportSettings & { flavour: "openai" | "compatible" };

/** The SDK client of an OpenAI transport, made once; loading starts at once, in the background. */
export function openaiConnection(settings: TransportSettings): () => Promise<OpenAI> {
  let sdkClient: Promise<OpenAI> | undefined;
  const connect = () =>
    (sdkClient ??= loadOpenAISdk().then(
      (sdk) =>
        new sdk.default({
          apiKey: settings.apiKey,
          organization: null,
          project: null,
          baseURL: settings.baseUrl,
          maxRetries: 0,
          timeout: settings.timeoutMs,
        }),
    ));
  // Start loading the SDK now, in the background: by the first request it is usually ready.
  connect().catch(() => {});
  return connect;
}

/** The Chat Completions body of a request (live, or as the `body` of a batch request line). */
export function openaiParams(settings: OpenAISettings, request: GenerateRequest, n: number) {
  const messages: Array<{ role: "system" | "user" | "assistant"; content: string }> = [];
  if (request.system !== "") messages.push({ role: "system", content: request.system });
  for (const message of request.messages) messages.push({ role: message.role, content: message.content });
  const prefill = request.prefill ?? "";
  if (prefill !== "" && settings.supportsPrefill) messages.push({ role: "assistant", content: prefill });
  return {
    model: settings.modelName,
    messages,
    temperature: request.temperature,
    // OpenAI's newer models only take max_completion_tokens; compatible servers know max_tokens.
    ...(settings.flavour === "openai"
      ? { max_completion_tokens: request.maxTokens }
      : { max_tokens: request.maxTokens }),
    ...(n > 1 ? { n } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  };
}

/** A Chat Completions response (live, or a batch's 200 response body) read into a completion. */
export function openaiCompletion(
  settings: TransportSettings,
  request: GenerateRequest,
  n: number,
  raw: unknown,
): Completion {
  const prefill = request.prefill ?? "";
  const parsed = openaiResponseSchema.safeParse(raw);
  if (!parsed.success) throw malformed(settings, parsed.error);
  const response = parsed.data;
  const choices = [...response.choices].sort((left, right) => left.index - right.index);
  if (choices.length < n)
    throw new ProviderError(
      `malformed response from ${settings.baseUrl} for ${settings.modelName}: expected ${n} choices, got ${choices.length}`,
      { provider: settings.provider, isRetryable: false },
    );
  const replies = choices.map((choice) => openaiReply(choice.message));
  const texts = replies.map(({ text }) =>
    // Without prefill support the model writes the prefix itself; drop it so texts never include it.
    prefill !== "" && !settings.supportsPrefill && text.startsWith(prefill)
      ? text.slice(prefill.length)
      : text,
  );
  const usage = response.usage;
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens ?? undefined;
  const completionTokens = usage?.completion_tokens ?? 0;
  // OpenAI, DeepSeek and most servers count reasoning inside completion_tokens; some (xAI) report it
  // beside them, which total_tokens shows. Reasoning is billed as output either way, so it is added in
  // only when it was left out.
  const reasoningOutside =
    reasoningTokens !== undefined &&
    reasoningTokens > 0 &&
    usage?.total_tokens === (usage?.prompt_tokens ?? 0) + completionTokens + reasoningTokens;
  return {
    texts,
    reasoning: replies.map(({ reasoning }) => reasoning),
    refusals: choices.map((choice) => openaiRefusal(choice.finish_reason, choice.message.refusal)),
    stopReasons: choices.map((choice) => choice.finish_reason),
    usage: {
      inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
      outputTokens: completionTokens + (reasoningOutside ? reasoningTokens : 0),
      cacheWriteTokens: 0,
      cacheReadTokens: cached,
      // Zero (a model that does not reason) is left out like an unreported count.
      ...(reasoningTokens ? { reasoningTokens } : {}),
    },
    usageKnown: usage !== undefined && usage !== null,
    model: response.model,
  };
}
