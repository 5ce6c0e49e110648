import type { Sample, Turn, Usage, Verdict } from "@aflab/core";

/**
 * aflab's samples and verdicts in the shapes of Inspect AI's log (format version 2): chat messages,
 * model output, scores and usage. Inspect's published schema lists every field as required, so each
 * object spells out all of its fields, with null where aflab has nothing to say.
 */

export interface InspectModelUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_cache_write: number | null;
  input_tokens_cache_read: number | null;
  reasoning_tokens: number | null;
  total_cost: number | null;
}

export interface InspectScore {
  value: string | number;
  answer: string | null;
  explanation: string | null;
  metadata: Record<string, unknown> | null;
  history: [];
}

type MessageContent =
  | string
  | Array<
      | { type: "text"; text: string; refusal: boolean | null; citations: null; internal: null }
      | {
          type: "reasoning";
          reasoning: string;
          summary: null;
          signature: string | null;
          redacted: boolean;
          internal: null;
        }
    >;

export interface InspectMessage {
  id: string | null;
  role: "system" | "user" | "assistant";
  content: MessageContent;
  source: "input" | "generate" | null;
  metadata: Record<string, unknown> | null;
  tool_call_id?: null;
  tool_calls?: null;
  model?: string | null;
}

export function inspectUsage(usage: Usage, costUsd: number | null): InspectModelUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    input_tokens_cache_write: usage.cacheWriteTokens,
    input_tokens_cache_read: usage.cacheReadTokens,
    reasoning_tokens: usage.reasoningTokens ?? null,
    total_cost: costUsd,
  };
}

/** Adds one usage into a per-model total (Inspect keys usage by model name). */
export function addUsage(
  totals: Record<string, InspectModelUsage>,
  model: string,
  usage: InspectModelUsage,
): void {
  const total = totals[model];
  if (!total) {
    totals[model] = { ...usage };
    return;
  }
  total.input_tokens += usage.input_tokens;
  total.output_tokens += usage.output_tokens;
  total.total_tokens += usage.total_tokens;
  total.input_tokens_cache_write =
    (total.input_tokens_cache_write ?? 0) + (usage.input_tokens_cache_write ?? 0);
  total.input_tokens_cache_read = (total.input_tokens_cache_read ?? 0) + (usage.input_tokens_cache_read ?? 0);
  if (usage.reasoning_tokens !== null)
    total.reasoning_tokens = (total.reasoning_tokens ?? 0) + usage.reasoning_tokens;
  // A model with no price has no total: a partial sum would understate it.
  total.total_cost =
    total.total_cost === null || usage.total_cost === null ? null : total.total_cost + usage.total_cost;
}

export function systemMessage(text: string): InspectMessage {
  return { id: null, role: "system", content: text, source: "input", metadata: null };
}

function turnMessage(turn: Turn, model: string): InspectMessage {
  if (turn.role === "user") {
    return {
      id: null,
      role: "user",
      content: turn.content,
      source: "input",
      metadata: null,
      tool_call_id: null,
    };
  }
  // Inspect has no prefill: the text the harness put in the model's mouth is shown where it was said.
  const text = `${turn.prefill ?? ""}${turn.content}`;
  const reasoning = (turn.reasoning?.blocks ?? []).map((block) =>
    block.kind === "text"
      ? {
          type: "reasoning" as const,
          reasoning: block.text,
          summary: null,
          signature: block.signature ?? null,
          redacted: false,
          internal: null,
        }
      : // Encrypted reasoning is opaque: its size is all a reader can know of it.
        {
          type: "reasoning" as const,
          reasoning: `(redacted reasoning, ${block.size} characters)`,
          summary: null,
          signature: null,
          redacted: true,
          internal: null,
        },
  );
  const refusal = turn.refusal
    ? [{ type: "text" as const, text: turn.refusal, refusal: true, citations: null, internal: null }]
    : [];
  const content: MessageContent =
    reasoning.length === 0 && refusal.length === 0
      ? text
      : [...reasoning, { type: "text", text, refusal: null, citations: null, internal: null }, ...refusal];
  return {
    id: null,
    role: "assistant",
    content,
    source: "generate",
    metadata: turn.stopReason ? { stop_reason: turn.stopReason } : null,
    tool_calls: null,
    model,
  };
}

/** The sample's conversation: the system prompt (when stored), then every turn in order. */
export function sampleMessages(
  sample: Sample,
  systemPrompt: string | undefined,
  model: string,
): InspectMessage[] {
  const messages = sample.turns.map((turn) => turnMessage(turn, model));
  return systemPrompt === undefined ? messages : [systemMessage(systemPrompt), ...messages];
}

const stopReasons: Record<string, string> = {
  end_turn: "stop",
  stop: "stop",
  stop_sequence: "stop",
  max_tokens: "max_tokens",
  length: "max_tokens",
  refusal: "content_filter",
  content_filter: "content_filter",
  tool_use: "tool_calls",
  tool_calls: "tool_calls",
};

/** Inspect's stop reasons are a closed list; a provider reason it does not know is `unknown`. */
export function inspectStopReason(reason: string | null | undefined): string {
  return (reason && stopReasons[reason]) || "unknown";
}

/**
 * A verdict as an Inspect score. Yes/no decisions become 1 and 0 so Inspect can average them
 * (compliant and yes are 1; refused and no are 0); every other outcome keeps its word (`unknown`,
 * `maybe`, `not_applicable`, `failed`) so it is never silently counted as a number.
 */
export function verdictScore(verdict: Verdict): InspectScore {
  return {
    value: scoreValue(verdict),
    answer: verdict.decision,
    explanation: verdict.failure
      ? verdict.failure.message
      : verdict.quotes.length > 0
        ? verdict.quotes.join("\n\n")
        : null,
    metadata: {
      status: verdict.status,
      failure_kind: verdict.failure?.kind ?? null,
      judge_model: verdict.judgeModel,
      prompt_version: verdict.promptVersion,
      score: verdict.score,
      criteria: verdict.criteria,
    },
    history: [],
  };
}

const numericDecisions: Record<string, number> = { compliant: 1, yes: 1, refused: 0, no: 0 };

export function scoreValue(verdict: Verdict): string | number {
  if (verdict.status === "failed") return "failed";
  if (verdict.status === "not_applicable") return "not_applicable";
  const decision = verdict.decision ?? "unknown";
  return numericDecisions[decision] ?? decision;
}
