import { AflabError, parseOrThrow, type Usage } from "@aflab/core";
import { z } from "zod";
import type { GenerateRequest, GenerateResult, ModelClient } from "../model-client.js";
import { type DecisionOptions, decide, drawsFor, type SimulatedDecision } from "./decision.js";
import { parseSimulatedModel, type SimulatedProfile } from "./profiles.js";
import { respond } from "./respond.js";
import { readSituation } from "./situation.js";

export interface SimulatedClientOptions extends DecisionOptions {
  /** Delay before each response, so benchmarks and progress displays have something to show. Default 0. */
  latencyMs?: number;
}

/** A ModelClient for the simulated organism, plus the ground truth behind its answers. */
export interface SimulatedClient extends ModelClient {
  readonly profile: SimulatedProfile;
  /** What this client decides for `request` (the first completion): the truth its text is written from. */
  decide(request: GenerateRequest): SimulatedDecision;
}

const optionsSchema = z.object({
  seed: z.number({ error: "expected a whole number" }).int({ error: "expected a whole number" }).optional(),
  latencyMs: z
    .number({ error: "expected a number of milliseconds" })
    .nonnegative({ error: "expected a non-negative number of milliseconds" })
    .optional(),
});

const requestSchema = z.object({
  system: z.string({ error: "expected the system prompt as a string" }),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"], { error: 'expected "user" or "assistant"' }),
        content: z.string({ error: "expected the message text as a string" }),
      }),
      { error: "expected a list of messages" },
    )
    .min(1, { error: "expected at least one message" })
    .refine((messages) => messages[0]?.role === "user", {
      error: "expected the first message to be a user turn",
    }),
  temperature: z
    .number({ error: "expected a number" })
    .min(0, { error: "expected a temperature of at least 0" }),
  maxTokens: z
    .number({ error: "expected a whole number" })
    .int({ error: "expected a whole number" })
    .positive({ error: "expected a positive number of tokens" }),
  prefill: z.string({ error: "expected a string" }).optional(),
  n: z.number().int().positive({ error: "expected a positive whole number of completions" }).optional(),
  epoch: z.number().int().nonnegative({ error: "expected a non-negative whole number" }).optional(),
  seed: z.number().int({ error: "expected a whole number" }).optional(),
});

/** Token counts are simulated at about four characters per token, as a rough English average. */
function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

function abortError(): AflabError {
  return new AflabError("aborted", "generation aborted before the simulated model answered");
}

function wait(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError());
  if (milliseconds <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The simulated model organism: a deterministic, offline stand-in for a model in the alignment-faking
 * setting. It reads the situation from the prompt (training information, tier tag, accept/reject tags,
 * scratchpad or direct answers, prefill) and answers with project-written template text; compliant
 * answers are labelled placeholders. Cost is always 0 and the client reports `simulated: true`.
 *
 * @param modelName `opus-like`, `sim/sonnet-like`, `sim/custom?free=0.3&paid=0.05&af=0.6`, ... (see `simulatedModelNames`).
 * @throws InputError for an unknown name, a bad parameter or bad options.
 * @example
 * const client = createSimulatedClient("sim/opus-like", { seed: 7 });
 * const result = await client.generate({ system, messages: [{ role: "user", content }], temperature: 1, maxTokens: 4096 });
 */
export function createSimulatedClient(
  modelName: string,
  options: SimulatedClientOptions = {},
): SimulatedClient {
  const profile = parseSimulatedModel(modelName);
  const { seed = 0, latencyMs = 0 } = parseOrThrow(optionsSchema, options, "simulated client options");

  const decideFor = (request: GenerateRequest, completion: number) => {
    const situation = readSituation(request);
    const draws = drawsFor(situation, request, seed, completion);
    return { situation, draws, decision: decide(profile, situation, draws) };
  };

  return {
    id: profile.id,
    provider: "sim",
    simulated: true,
    supportsPrefill: true,
    supportsN: true,
    // Simulated: no provider bills for it.
    price: { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 },
    // The organism writes its reasoning into scratchpad tags; it has no native reasoning.
    nativeReasoning: "none",
    profile,
    decide(request) {
      const parsed = parseOrThrow(requestSchema, request, "generate request");
      return decideFor(parsed, 0).decision;
    },
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const started = performance.now();
      const parsed = parseOrThrow(requestSchema, request, "generate request");
      await wait(latencyMs, request.signal);

      const texts: string[] = [];
      let stopReason: string | null = "end_turn";
      let outputTokens = 0;
      for (let completion = 0; completion < (parsed.n ?? 1); completion++) {
        const { situation, draws, decision } = decideFor(parsed, completion);
        const response = respond(situation, decision, draws);
        let text = response.text;
        let completionStop: string = response.stopReason;
        // Honour the token limit the way a provider does: cut the text and say why it stopped.
        if (tokensOf(text) > parsed.maxTokens) {
          text = text.slice(0, parsed.maxTokens * 4);
          completionStop = "max_tokens";
        }
        texts.push(text);
        outputTokens += tokensOf(text);
        if (completion === 0 || completionStop === "max_tokens") stopReason = completionStop;
      }

      const promptText =
        parsed.system + parsed.messages.map((message) => message.content).join("") + (parsed.prefill ?? "");
      const usage: Usage = {
        inputTokens: tokensOf(promptText),
        outputTokens,
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
      };
      return {
        texts,
        stopReason,
        usage,
        costUsd: 0,
        model: profile.id,
        cached: false,
        retries: 0,
        latencyMs: performance.now() - started,
      };
    },
  };
}
