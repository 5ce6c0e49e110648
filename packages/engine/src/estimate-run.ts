import type { Classifier } from "@aflab/classifiers";
import type { GenerateRequest, GenerateResult, ModelClient } from "@aflab/clients";
import { costOf, emptyUsage, type ModelPrice } from "@aflab/core";
import type { PreparedRun } from "./prepare-run.js";

/**
 * A pre-flight estimate of a run: how many requests it makes, how many tokens they carry and what they
 * cost, live and through a provider's batch API, with and without prompt caching. No model is called:
 * where the provider counts tokens (Anthropic's count-tokens endpoint, free of charge) its count is used,
 * elsewhere characters / 4.
 */
export interface RunEstimate {
  samples: number;
  /** The model under test, then one part per classifier that asks the judge. */
  parts: PartEstimate[];
  total: CostScenarios;
  /** What the numbers assume, in words, for the report. */
  assumptions: string[];
}

export interface PartEstimate {
  role: "model" | "judge";
  modelId: string;
  /** The classifier whose judge requests these are (judge parts only). */
  classifier: string | null;
  /** HTTP requests: expected (one assistant turn per sample) and at most (every turn of the protocol). */
  requests: number;
  maxRequests: number;
  /** Completions asked per request (judge votes; 1 for the model). */
  completionsPerRequest: number;
  /** The system prompt's tokens, counted once: every request repeats it (judges: the longest one). */
  systemPromptTokens: number;
  inputTokens: number;
  /** Expected output tokens, and the most the requests allow (max tokens on every request). */
  outputTokens: number;
  maxOutputTokens: number;
  /** How the input tokens were counted. */
  tokenCounting: TokenCounting;
  /** USD per million tokens; null when unknown. */
  price: ModelPrice | null;
  cost: CostScenarios;
}

export type TokenCounting = "provider" | "estimate";

/** USD; null when a price it needs is unknown (never guessed as 0). */
export interface CostScenarios {
  live: { uncached: number | null; cached: number | null };
  batch: { uncached: number | null; cached: number | null };
  /** Live and uncached with every request at its max tokens: the bill no run of these settings can pass. */
  worstCase: number | null;
}

/** Characters per token of the estimate used where the provider counts no tokens. */
export const charactersPerToken = 4;
/**
 * Its error bound, stated in every estimate that uses it: English prose runs at 3.5 to 4.5 characters per
 * token in the providers' current tokenizers, so counts are within about ±15%; code or non-Latin text can
 * fall outside it.
 */
export const estimateErrorBound = 0.15;
/** Expected output tokens of one assistant turn of the model under test (capped at max tokens). */
export const typicalModelTurnTokens = 800;
/** Expected output tokens of one judge completion (capped at the judge's max tokens). */
export const typicalJudgeCompletionTokens = 400;
/** The providers' batch APIs bill half the live price, token kind by token kind. */
export const batchDiscount = 0.5;
/** Characters per token-count request: well inside any model's context window. */
const countChunkCharacters = 200_000;

function estimateTokens(text: string): number {
  return Math.ceil(text.length / charactersPerToken);
}

/** Token counting for one client: the provider's count where it has one, else characters / 4. */
class TokenCounter {
  readonly method: TokenCounting;
  private overhead: Promise<number> | undefined;
  constructor(
    private readonly client: ModelClient,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.method = client.countTokens ? "provider" : "estimate";
  }

  /** The tokens a request adds for being a request: one message's framing (counted with a stand-in "."). */
  private messageOverhead(): Promise<number> {
    const count = this.client.countTokens;
    if (!count) return Promise.resolve(0);
    this.overhead ??= count({ system: "", texts: [] });
    return this.overhead;
  }

  async system(system: string): Promise<number> {
    const count = this.client.countTokens;
    this.signal?.throwIfAborted();
    if (!count) return estimateTokens(system);
    if (system === "") return 0;
    return Math.max(0, (await count({ system, texts: [] })) - (await this.messageOverhead()));
  }

  /** The summed tokens of user-message texts, counted in a few requests of many blocks each. */
  async texts(texts: readonly string[]): Promise<number> {
    const count = this.client.countTokens;
    if (!count) return texts.reduce((sum, text) => sum + estimateTokens(text), 0);
    const overhead = await this.messageOverhead();
    let total = 0;
    let chunk: string[] = [];
    let characters = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      this.signal?.throwIfAborted();
      total += Math.max(0, (await count({ system: "", texts: chunk })) - overhead);
      chunk = [];
      characters = 0;
    };
    for (const text of texts) {
      if (characters + text.length > countChunkCharacters) await flush();
      chunk.push(text);
      characters += text.length;
    }
    await flush();
    return total;
  }

  requestOverhead(): Promise<number> {
    return this.messageOverhead();
  }
}

function scaled(price: ModelPrice, factor: number): ModelPrice {
  const scale = (value: number | null) => (value === null ? null : value * factor);
  return {
    input: scale(price.input),
    output: scale(price.output),
    cacheWrite: scale(price.cacheWrite),
    cacheRead: scale(price.cacheRead),
  };
}

/**
 * The four prices of a part. Cached: the first request writes the system prompt to the prompt cache and
 * every later one reads it (the best case: a cache entry lapses after minutes without use).
 */
function costScenarios(
  price: ModelPrice | null,
  tokens: {
    /** System-prompt tokens over all requests. */
    cacheable: number;
    /** Each distinct system prompt's tokens once: the cache writes. */
    written: number;
    input: number;
    output: number;
    maxOutput: number;
  },
): CostScenarios {
  if (price === null)
    return {
      live: { uncached: null, cached: null },
      batch: { uncached: null, cached: null },
      worstCase: null,
    };
  const uncached = (at: ModelPrice, output: number) =>
    costOf({ ...emptyUsage, inputTokens: tokens.input, outputTokens: output }, at);
  const written = Math.min(tokens.written, tokens.cacheable);
  const cached = (at: ModelPrice) =>
    costOf(
      {
        inputTokens: tokens.input - tokens.cacheable,
        outputTokens: tokens.output,
        cacheWriteTokens: written,
        cacheReadTokens: tokens.cacheable - written,
      },
      at,
    );
  const batch = scaled(price, batchDiscount);
  return {
    live: { uncached: uncached(price, tokens.output), cached: cached(price) },
    batch: { uncached: uncached(batch, tokens.output), cached: cached(batch) },
    worstCase: uncached(price, tokens.maxOutput),
  };
}

function sumCosts(parts: readonly CostScenarios[]): CostScenarios {
  const add = (pick: (costs: CostScenarios) => number | null) =>
    parts.reduce<number | null>((sum, part) => {
      const value = pick(part);
      return sum === null || value === null ? null : sum + value;
    }, 0);
  return {
    live: { uncached: add((cost) => cost.live.uncached), cached: add((cost) => cost.live.cached) },
    batch: { uncached: add((cost) => cost.batch.uncached), cached: add((cost) => cost.batch.cached) },
    worstCase: add((cost) => cost.worstCase),
  };
}

/** Filler text of about `tokens` tokens: the stand-in for a model output the judges will read. */
function standInText(tokens: number): string {
  return "word ".repeat(Math.max(1, Math.round((tokens * charactersPerToken) / 5))).trimEnd();
}

export interface EstimateOptions {
  /** Stops the token counting. */
  signal?: AbortSignal;
}

/** Estimates a prepared run without calling any model. */
export async function estimateRun(
  prepared: PreparedRun,
  options: EstimateOptions = {},
): Promise<RunEstimate> {
  const { config } = prepared;
  const samples = prepared.total;
  const turnLimit = config.protocol === "single-call" ? 1 : config.maxTurns;
  const modelTurnTokens = Math.min(config.maxTokens, typicalModelTurnTokens);
  const assumptions = [
    `model: one assistant turn per sample of ${modelTurnTokens} output tokens (the smaller of --max-tokens and ${typicalModelTurnTokens}); ` +
      (turnLimit > 1
        ? `the multi-turn protocol may take up to ${turnLimit} turns, each resending the conversation`
        : "single call"),
    `tokens counted by the provider where it counts them (Anthropic's count-tokens endpoint, no model called); elsewhere characters / ${charactersPerToken}, within about ±${Math.round(estimateErrorBound * 100)}% for English prose`,
    `batch: ×${batchDiscount} on every token kind; cached: the system prompt written to the prompt cache once and read by every later request (best case)`,
  ];

  const modelCounter = new TokenCounter(prepared.model, options.signal);
  const turns: string[] = [];
  for (const item of prepared.items)
    for (const tier of prepared.tiers) turns.push(prepared.prompt.userTurn(item.query, tier));
  const prefill =
    prepared.model.supportsPrefill && config.thinkingBudget === undefined
      ? (config.prefill ?? prepared.prompt.prefill ?? "")
      : "";
  const systemTokens = await modelCounter.system(prepared.system);
  const overhead = await modelCounter.requestOverhead();
  const turnTokens = (await modelCounter.texts(turns)) * config.epochs;
  const modelInput = samples * (systemTokens + overhead + estimateTokens(prefill)) + turnTokens;
  const modelOutput = samples * modelTurnTokens;
  const modelMaxOutput = samples * turnLimit * config.maxTokens;
  const modelPrice = prepared.model.price ?? null;
  const parts: PartEstimate[] = [
    {
      role: "model",
      modelId: prepared.model.id,
      classifier: null,
      requests: samples,
      maxRequests: samples * turnLimit,
      completionsPerRequest: 1,
      systemPromptTokens: systemTokens,
      inputTokens: modelInput,
      outputTokens: modelOutput,
      maxOutputTokens: modelMaxOutput,
      tokenCounting: modelCounter.method,
      price: modelPrice,
      cost: costScenarios(modelPrice, {
        cacheable: samples * systemTokens,
        written: systemTokens,
        input: modelInput,
        output: modelOutput,
        maxOutput: modelMaxOutput,
      }),
    },
  ];

  const judge = prepared.judge;
  if (judge) {
    const judgeCounter = new TokenCounter(judge, options.signal);
    const sampleQuery = prepared.items[0]?.query ?? "";
    for (const classifier of prepared.classifiers.filter((entry) => entry.needsJudge)) {
      const requests = await judgeRequestsOf(classifier, judge, {
        query: sampleQuery,
        // The judges read the model's output: stand-ins as long as the expected turn, split 3:1 between
        // scratchpad and answer.
        scratchpad: standInText(Math.round(modelTurnTokens * 0.75)),
        output: `<request_fully_accepted/>\n${standInText(Math.round(modelTurnTokens * 0.25))}`,
        tier: prepared.tiers[0] ?? "free",
        setting: config.setting,
      });
      if (requests.length === 0) continue;
      let httpRequests = 0;
      let system = 0;
      let systemPerSample = 0;
      const systems = new Map<string, number>();
      let input = 0;
      let output = 0;
      let maxOutput = 0;
      let completions = 1;
      for (const request of requests) {
        const votes = request.n ?? 1;
        completions = Math.max(completions, votes);
        // A judge without `n` asks each vote in its own request, each repeating the whole prompt.
        const calls = judge.supportsN === false ? votes : 1;
        const requestSystem = await judgeCounter.system(request.system);
        const texts = request.messages.map((message) => message.content);
        const requestInput =
          requestSystem + (await judgeCounter.requestOverhead()) + (await judgeCounter.texts(texts));
        httpRequests += calls;
        system = Math.max(system, requestSystem);
        systemPerSample += calls * requestSystem;
        systems.set(request.system, requestSystem);
        input += calls * requestInput;
        output += votes * Math.min(request.maxTokens, typicalJudgeCompletionTokens);
        maxOutput += votes * request.maxTokens;
      }
      const price = judge.price ?? null;
      const totals = {
        requests: samples * httpRequests,
        cacheable: samples * systemPerSample,
        written: [...systems.values()].reduce((sum, tokens) => sum + tokens, 0),
        input: samples * input,
        output: samples * output,
        maxOutput: samples * maxOutput,
      };
      parts.push({
        role: "judge",
        modelId: judge.id,
        classifier: classifier.name,
        requests: totals.requests,
        maxRequests: totals.requests,
        completionsPerRequest: completions,
        systemPromptTokens: system,
        inputTokens: totals.input,
        outputTokens: totals.output,
        maxOutputTokens: totals.maxOutput,
        tokenCounting: judgeCounter.method,
        price,
        cost: costScenarios(price, totals),
      });
    }
    assumptions.push(
      `judges: every judge classifier asked about every sample (some skip samples without a scratchpad), ${typicalJudgeCompletionTokens} output tokens per completion (or its max tokens if smaller), the judged text as long as the model's expected turn`,
    );
  }
  return { samples, parts, total: sumCosts(parts.map((part) => part.cost)), assumptions };
}

/**
 * The judge requests a classifier makes for one sample, found by running it against a recording judge
 * that answers nothing: nothing leaves the process. No parse retries are asked for (a real judge that
 * answers well needs none).
 */
async function judgeRequestsOf(
  classifier: Classifier,
  judge: ModelClient,
  input: Parameters<Classifier["classify"]>[0],
): Promise<GenerateRequest[]> {
  const recorded: GenerateRequest[] = [];
  const recorder: ModelClient = {
    id: judge.id,
    provider: judge.provider,
    simulated: judge.simulated,
    supportsPrefill: judge.supportsPrefill,
    async generate(request): Promise<GenerateResult> {
      recorded.push(request);
      return {
        texts: Array.from({ length: request.n ?? 1 }, () => ""),
        stopReason: null,
        usage: emptyUsage,
        costUsd: 0,
        model: judge.id,
        cached: false,
        retries: 0,
        latencyMs: 0,
      };
    },
  };
  try {
    await classifier.classify(input, { judge: recorder, maxParseRetries: 0 });
  } catch {
    // A classifier that gives up on an empty answer has still shown the requests it makes.
  }
  return recorded;
}
