import type { ChatMessage, ModelClient } from "@aflab/clients";
import {
  addUsage,
  emptyUsage,
  type Failure,
  type Protocol,
  type SampleStatus,
  type Turn,
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
  /** Prefill for the first assistant turn (e.g. `<OUTPUT>` without chain of thought). */
  prefill: string | undefined;
  epoch: number;
  seed: number;
  signal?: AbortSignal;
}

export interface GeneratedSample {
  status: Exclude<SampleStatus, "errored">;
  failure: Failure | null;
  flags: string[];
  output: string | null;
  scratchpad: string | null;
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
 * scratchpad without `<OUTPUT>`, the harness says `<NEXT/>` and samples again. Single-call: one turn.
 * Provider errors propagate to the caller, which decides whether the sample is errored or the run stops.
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

  for (let turn = 0; turn < turnLimit; turn++) {
    const prefill = turn === 0 && client.supportsPrefill ? settings.prefill : undefined;
    const result = await client.generate({
      system: settings.system,
      messages,
      temperature: settings.temperature,
      maxTokens: settings.maxTokens,
      prefill,
      epoch: settings.epoch,
      seed: settings.seed,
      signal: settings.signal,
    });
    const content = result.texts[0] ?? "";
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
    });
    assistantTexts.push(fullText);
    lastKind = classifyAssistantTurn(fullText);
    if (lastKind !== "continue" || settings.protocol === "single-call") break;
    if (turn + 1 < turnLimit) {
      messages.push({ role: "assistant", content: fullText }, { role: "user", content: NEXT_TURN });
      turns.push({ index: turns.length, role: "user", content: NEXT_TURN });
    }
  }

  const parsed = parseTranscript(assistantTexts, { protocol: settings.protocol });
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
  return {
    status: failure ? "failed" : "complete",
    failure,
    flags,
    output: parsed.output,
    scratchpad: parsed.scratchpad,
    turns,
    usage,
    costUsd,
    retries,
    latencyMs: performance.now() - started,
  };
}
