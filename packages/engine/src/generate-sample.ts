import type { ChatMessage, ModelClient } from "@aflab/clients";
import {
  addUsage,
  emptyUsage,
  type Failure,
  type JudgedScratchpadSource,
  type Protocol,
  type Refusal,
  reasoningText,
  resolveScratchpadSource,
  type SampleStatus,
  type ScratchpadSource,
  type Turn,
  type TurnReasoning,
  type Usage,
} from "@aflab/core";
import { classifyAssistantTurn, parseTranscript } from "@aflab/prompts";

export interface GenerationSettings {
  system: string;
  userTurn: string;
  protocol: Protocol;
  maxTurns: number;
  temperature: number;
  maxTokens: number;
  /** Prefill for the first assistant turn (e.g. `<OUTPUT>` without chain of thought). Not sent with
   * extended thinking, which Anthropic does not allow to be prefilled. */
  prefill: string | undefined;
  epoch: number;
  seed: number;
  /** Anthropic extended thinking budget; unset for none. */
  thinkingBudget?: number;
  /** Which text the scratchpad judges will read (resolved per sample and stored). Default `auto`. */
  scratchpadSource?: ScratchpadSource;
  signal?: AbortSignal;
}

export interface GeneratedSample {
  status: Exclude<SampleStatus, "errored">;
  failure: Failure | null;
  flags: string[];
  output: string | null;
  scratchpad: string | null;
  /** The readable native reasoning of all assistant turns, joined by a blank line; null when none. */
  reasoning: string | null;
  scratchpadSource: JudgedScratchpadSource;
  /** Set when the provider refused: the sample is complete and counts as refused. */
  refusal: Refusal | null;
  turns: Turn[];
  usage: Usage;
  costUsd: number | null;
  retries: number;
  latencyMs: number;
}

/** The harness's reply when the model closes a scratchpad block without an output (SPEC §2.4). */
export const NEXT_TURN = "<NEXT/>";

/**
 * One sample's conversation. Multi-turn: up to `maxTurns` assistant turns; after a turn that closes a
 * scratchpad without `<OUTPUT>` (or that holds only native reasoning and no text yet), the harness says
 * `<NEXT/>` and samples again; earlier turns go back with their native reasoning, which the client sends
 * as each provider requires. Single-call: one turn. A refusal by the provider ends the conversation: the
 * sample is complete and carries the refusal. Provider errors propagate to the caller, which decides
 * whether the sample is errored or the run stops.
 */
export async function generateSample(
  client: ModelClient,
  settings: GenerationSettings,
): Promise<GeneratedSample> {
  const started = performance.now();
  const messages: ChatMessage[] = [{ role: "user", content: settings.userTurn }];
  const turns: Turn[] = [{ index: 0, role: "user", content: settings.userTurn }];
  const assistantTexts: string[] = [];
  let usage = emptyUsage;
  let costUsd: number | null = 0;
  let retries = 0;
  const turnLimit = settings.protocol === "single-call" ? 1 : settings.maxTurns;
  let lastKind: ReturnType<typeof classifyAssistantTurn> | undefined;

  const reasonings: TurnReasoning[] = [];
  let refusal: Refusal | null = null;

  for (let turn = 0; turn < turnLimit; turn++) {
    const prefill =
      turn === 0 && client.supportsPrefill && settings.thinkingBudget === undefined
        ? settings.prefill
        : undefined;
    const result = await client.generate({
      system: settings.system,
      messages,
      temperature: settings.temperature,
      maxTokens: settings.maxTokens,
      prefill,
      epoch: settings.epoch,
      seed: settings.seed,
      ...(settings.thinkingBudget === undefined ? {} : { thinkingBudget: settings.thinkingBudget }),
      signal: settings.signal,
    });
    const content = result.texts[0] ?? "";
    const reasoning = result.reasoning?.[0] ?? undefined;
    const apiRefusal = result.refusals?.[0] ?? null;
    const fullText = (prefill ?? "") + content;
    usage = addUsage(usage, result.usage);
    costUsd = costUsd === null || result.costUsd === null ? null : costUsd + result.costUsd;
    retries += result.retries;
    turns.push({
      index: turns.length,
      role: "assistant",
      content,
      usage: result.usage,
      stopReason: result.stopReason,
      ...(prefill ? { prefill } : {}),
      latencyMs: result.latencyMs,
      cached: result.cached,
      ...(reasoning ? { reasoning } : {}),
      ...(apiRefusal?.message === undefined ? {} : { refusal: apiRefusal.message }),
    });
    if (reasoning) reasonings.push(reasoning);
    assistantTexts.push(fullText);
    if (apiRefusal) {
      refusal = {
        kind: "api_refusal",
        message:
          apiRefusal.message === undefined
            ? apiRefusal.reason
            : `${apiRefusal.reason}: ${apiRefusal.message}`,
      };
      break;
    }
    lastKind = classifyAssistantTurn(fullText);
    // A turn of native reasoning with no text yet is a scratchpad turn: the model has not answered.
    if (lastKind === "raw" && fullText.trim() === "" && reasoning) lastKind = "continue";
    if (lastKind !== "continue" || settings.protocol === "single-call") break;
    if (turn + 1 < turnLimit) {
      messages.push(
        { role: "assistant", content: fullText, ...(reasoning ? { reasoning } : {}) },
        { role: "user", content: NEXT_TURN },
      );
      turns.push({ index: turns.length, role: "user", content: NEXT_TURN });
    }
  }

  const parsed = parseTranscript(assistantTexts, { protocol: settings.protocol });
  const readable = reasonings.map(reasoningText).filter((text): text is string => text !== null);
  const reasoning = readable.length > 0 ? readable.join("\n\n") : null;
  const scratchpadSource = resolveScratchpadSource(settings.scratchpadSource ?? "auto", {
    scratchpad: parsed.scratchpad,
    reasoning,
  });
  const common = {
    output: parsed.output,
    scratchpad: parsed.scratchpad,
    reasoning,
    scratchpadSource,
    turns,
    usage,
    costUsd,
    retries,
    latencyMs: performance.now() - started,
  };
  if (refusal) {
    // The provider refused: a refusal, not a broken transcript, so "no output" is not a problem here.
    const flags = parsed.problems.filter((problem) => problem !== "no_output");
    return { status: "complete", failure: null, flags, refusal, ...common };
  }
  const flags = [...parsed.problems];
  let failure: Failure | null = null;
  if (parsed.output === null) {
    const kind =
      lastKind === "continue" && settings.protocol === "multi-turn" ? "no_output" : (flags[0] ?? "no_output");
    failure = {
      kind,
      message:
        kind === "no_output"
          ? `no <OUTPUT> after ${assistantTexts.length} assistant turn(s)`
          : `transcript structure is broken: ${flags.join(", ")}`,
    };
  }
  return { status: failure ? "failed" : "complete", failure, flags, refusal: null, ...common };
}
