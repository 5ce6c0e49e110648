import type { ApiRefusal, TurnReasoning } from "@aflab/core";
import type { ChatMessage } from "./model-client.js";

// How the parts of a provider's reply become aflab's: the text, the native reasoning apart from it, and a
// refusal by the provider. Pure functions over the parsed JSON, so each rule is tested on recorded replies.

/** An Anthropic content block as the transport validated it. */
export interface AnthropicBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
}

/**
 * The text of an Anthropic reply. Text blocks that follow each other are one answer the API cut at
 * citation boundaries, with the spacing inside the blocks, so they are joined as they are. Text blocks
 * with another block between them (a tool call and its result, or thinking) are separate passages, which
 * the API does not end with a separator: they are joined by a blank line, so the last sentence of one
 * and the first of the next do not run together.
 */
export function anthropicText(content: readonly AnthropicBlock[]): string {
  let text = "";
  let previousWasText = false;
  let seenText = false;
  for (const block of content) {
    if (block.type !== "text") {
      previousWasText = false;
      continue;
    }
    if (seenText && !previousWasText) text += "\n\n";
    text += block.text ?? "";
    seenText = true;
    previousWasText = true;
  }
  return text;
}

/** The thinking and redacted-thinking blocks of an Anthropic reply, in order and unchanged; null when none. */
export function anthropicReasoning(content: readonly AnthropicBlock[]): TurnReasoning | null {
  const blocks: TurnReasoning["blocks"] = [];
  for (const block of content) {
    if (block.type === "thinking")
      blocks.push({
        kind: "text",
        text: block.thinking ?? "",
        ...(block.signature === undefined ? {} : { signature: block.signature }),
      });
    else if (block.type === "redacted_thinking")
      blocks.push({ kind: "redacted", data: block.data ?? "", size: (block.data ?? "").length });
  }
  return blocks.length > 0 ? { source: "thinking", blocks } : null;
}

/** Anthropic's `stop_details` of a refusal, when it sends them. */
export interface AnthropicStopDetails {
  category?: string | null;
  explanation?: string | null;
}

/** A refusal when Anthropic stopped with `stop_reason: "refusal"`, with its category and explanation. */
export function anthropicRefusal(
  stopReason: string | null,
  details: AnthropicStopDetails | null | undefined,
): ApiRefusal | null {
  if (stopReason !== "refusal") return null;
  const category = details?.category ? ` (${details.category})` : "";
  const explanation = details?.explanation ? `: ${details.explanation}` : "";
  return { reason: `stop_reason "refusal"${category}${explanation}` };
}

/**
 * An assistant message as Anthropic's Messages API takes it back. With thinking blocks, the content is
 * those blocks unchanged (text with its signature, redacted data as it came), then the text: extended
 * thinking in a multi-turn conversation requires the previous turns' blocks exactly as they were sent.
 * Empty text is left out, because the API refuses an empty text block.
 */
export function anthropicMessageContent(
  message: ChatMessage,
):
  | string
  | Array<
      | { type: "thinking"; thinking: string; signature: string }
      | { type: "redacted_thinking"; data: string }
      | { type: "text"; text: string }
    > {
  const reasoning = message.role === "assistant" ? message.reasoning : undefined;
  if (reasoning?.source !== "thinking") return message.content;
  const blocks: ReturnType<typeof anthropicMessageContent> = reasoning.blocks.map((block) =>
    block.kind === "text"
      ? { type: "thinking" as const, thinking: block.text, signature: block.signature ?? "" }
      : { type: "redacted_thinking" as const, data: block.data },
  );
  if (message.content !== "") blocks.push({ type: "text", text: message.content });
  return blocks;
}

/**
 * Splits a leading `<think>…</think>` block off a reply's text (open models that write their reasoning
 * into the text). Only a block that opens the text (after whitespace) and is closed counts; its inside is
 * the reasoning, byte for byte, and the text after `</think>` is the reply. Null when there is none.
 */
export function splitLeadingThink(text: string): { reasoning: string; text: string } | null {
  const match = /^\s*<think>/.exec(text);
  if (!match) return null;
  const start = match[0].length;
  const close = text.indexOf("</think>", start);
  if (close < 0) return null;
  return { reasoning: text.slice(start, close), text: text.slice(close + "</think>".length) };
}

/** An OpenAI-compatible choice's message, as the transport validated it. */
export interface OpenAIMessage {
  content: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/**
 * The text and native reasoning of an OpenAI-compatible message. The reasoning is the first non-empty
 * of `reasoning_content` (DeepSeek, vLLM, xAI), `reasoning` (OpenRouter, Groq, newer vLLM) and a leading
 * `<think>` block of the content; the content is kept as sent unless the reasoning was taken out of it.
 */
export function openaiReply(message: OpenAIMessage): { text: string; reasoning: TurnReasoning | null } {
  const content = message.content ?? "";
  for (const source of ["reasoning_content", "reasoning"] as const) {
    const value = message[source];
    if (typeof value === "string" && value !== "")
      return { text: content, reasoning: { source, blocks: [{ kind: "text", text: value }] } };
  }
  const think = splitLeadingThink(content);
  if (think)
    return {
      text: think.text,
      reasoning: { source: "think_tag", blocks: [{ kind: "text", text: think.reasoning }] },
    };
  return { text: content, reasoning: null };
}

/** A refusal when an OpenAI-compatible choice finished with `content_filter` or carries a `refusal`. */
export function openaiRefusal(
  finishReason: string | null,
  refusal: string | null | undefined,
): ApiRefusal | null {
  const message = typeof refusal === "string" && refusal !== "" ? refusal : undefined;
  if (finishReason === "content_filter")
    return { reason: 'finish_reason "content_filter"', ...(message === undefined ? {} : { message }) };
  if (message !== undefined) return { reason: "refusal field", message };
  return null;
}
