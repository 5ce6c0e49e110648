import {
  addUsage,
  describeError,
  emptyUsage,
  InputError,
  parseOrThrow,
  refusalSchema,
  settingSchema,
  tierSchema,
  type Usage,
  verdictSchema,
} from "@aflab/core";
import { z } from "zod";
import type {
  Classifier,
  ClassifierContext,
  ClassifierInput,
  ClassifierResult,
  JudgeClient,
  JudgeFailure,
  JudgeRequest,
  ParseOutcome,
} from "./types.js";

export const DEFAULT_MAX_PARSE_RETRIES = 2;
export const DEFAULT_VOTES = 20;

/** What a judged call produced over all its attempts. */
export interface JudgeRun<Value> {
  outcome: ParseOutcome<Value>;
  /** Every text the judge returned, in order, across attempts. */
  raw: string[];
  usage: Usage;
  /** Summed cost; null as soon as one attempt had no known price. */
  costUsd: number | null;
  /** Requests sent (1 + parse retries spent). */
  requests: number;
}

/**
 * Sends `request` to the judge and interprets the texts. An answer that does not parse is asked again
 * with a new request (a different epoch and seed, so a response cache cannot hand back the same text),
 * at most `maxParseRetries` times. A provider failure is not retried here (the client already retried
 * it) and becomes a `judge_error` failure; a cancelled run rethrows.
 */
export async function runJudge<Value>(
  judge: JudgeClient,
  request: Omit<JudgeRequest, "signal" | "epoch" | "seed">,
  interpret: (texts: string[]) => ParseOutcome<Value>,
  context: Pick<ClassifierContext, "signal" | "maxParseRetries">,
): Promise<JudgeRun<Value>> {
  const maxParseRetries = context.maxParseRetries ?? DEFAULT_MAX_PARSE_RETRIES;
  const raw: string[] = [];
  let usage: Usage = { ...emptyUsage };
  let costUsd: number | null = 0;
  let lastFailure: JudgeFailure = { kind: "no_verdict", message: "the judge was never asked" };
  let requests = 0;
  for (let attempt = 0; attempt <= maxParseRetries; attempt++) {
    let response: Awaited<ReturnType<JudgeClient["generate"]>>;
    requests++;
    try {
      response = await judge.generate({
        ...request,
        epoch: attempt,
        seed: attempt,
        ...(context.signal ? { signal: context.signal } : {}),
      });
    } catch (error) {
      if (context.signal?.aborted) throw error;
      return {
        outcome: { ok: false, failure: { kind: "judge_error", message: describeError(error) } },
        raw,
        usage,
        costUsd,
        requests,
      };
    }
    raw.push(...response.texts);
    usage = addUsage(usage, response.usage);
    costUsd = costUsd === null || response.costUsd === null ? null : costUsd + response.costUsd;
    const outcome = interpret(response.texts);
    if (outcome.ok) return { outcome, raw, usage, costUsd, requests };
    lastFailure = outcome.failure;
  }
  return {
    outcome: {
      ok: false,
      failure: {
        kind: lastFailure.kind,
        message: `${lastFailure.message} (after ${requests} request${requests === 1 ? "" : "s"})`,
      },
    },
    raw,
    usage,
    costUsd,
    requests,
  };
}

/** Interprets a single-completion response with a parser for one text. */
export function singleText<Value>(parse: (text: string) => ParseOutcome<Value>) {
  return (texts: string[]): ParseOutcome<Value> => {
    const text = texts[0];
    if (text === undefined) return { ok: false, failure: { kind: "no_verdict", message: "empty response" } };
    return parse(text);
  };
}

/** The judge from the context, or an InputError naming the classifier that needs one. */
export function requireJudge(context: ClassifierContext, classifier: string): JudgeClient {
  if (!context.judge) {
    throw new InputError(`classifier ${classifier} needs a judge model (set judge, e.g. sim/judge)`, {
      field: "judge",
    });
  }
  return context.judge;
}

/** A verdict saying the classifier does not apply to this sample. */
export function notApplicable(name: string, version: string, reason: string): ClassifierResult {
  return {
    classifier: name,
    status: "not_applicable",
    decision: null,
    score: null,
    judgeModel: null,
    promptVersion: version,
    criteria: { reason },
    quotes: [],
    raw: [],
    failure: null,
    usage: { ...emptyUsage },
    costUsd: null,
  };
}

/** The verdict of a judge run that parsed: raw texts, usage, cost and the request count are kept. */
export function judgedVerdict(
  name: string,
  version: string,
  judgeModel: string,
  run: Pick<JudgeRun<unknown>, "raw" | "usage" | "costUsd" | "requests">,
  verdict: {
    decision: string | null;
    score: number | null;
    criteria: Record<string, unknown>;
    quotes: string[];
  },
): ClassifierResult {
  return {
    classifier: name,
    status: "ok",
    decision: verdict.decision,
    score: verdict.score,
    judgeModel,
    promptVersion: version,
    criteria: { ...verdict.criteria, requests: run.requests },
    quotes: verdict.quotes,
    raw: run.raw,
    failure: null,
    usage: run.usage,
    costUsd: run.costUsd,
  };
}

/** A failed verdict from a judge run: raw texts, usage and cost are kept, the decision is null. */
export function failedVerdict(
  name: string,
  version: string,
  judgeModel: string | null,
  failure: JudgeFailure,
  run: Pick<JudgeRun<unknown>, "raw" | "usage" | "costUsd" | "requests">,
  criteria: Record<string, unknown> = {},
): ClassifierResult {
  return {
    classifier: name,
    status: "failed",
    decision: null,
    score: null,
    judgeModel,
    promptVersion: version,
    criteria: { ...criteria, requests: run.requests },
    quotes: [],
    raw: run.raw,
    failure,
    usage: run.usage,
    costUsd: run.costUsd,
  };
}

/** True when a text is absent or only whitespace. */
export function isBlank(text: string | null): text is null {
  return text === null || text.trim() === "";
}

const classifierInputSchema = z.object({
  query: z.string({ error: "expected the user query as a string" }),
  output: z.string().nullable(),
  scratchpad: z.string().nullable(),
  tier: tierSchema,
  setting: settingSchema,
  refusal: refusalSchema.nullable().optional(),
});

const classifierContextSchema = z.object({
  votes: z
    .number()
    .int()
    .min(1, "expected at least 1 vote")
    .max(100, "expected at most 100 votes")
    .optional(),
  maxParseRetries: z
    .number()
    .int()
    .min(0, "expected 0 or more retries")
    .max(10, "expected at most 10 retries")
    .optional(),
});

const classifierResultSchema = verdictSchema.omit({ runId: true, sampleKey: true, createdAt: true });

/**
 * The verdict of a compliance classifier on a sample the provider refused: `refused`, with the reason
 * `api_refusal`. No judge is asked (there is nothing to judge), so nothing can fail to parse.
 */
export function apiRefusalVerdict(
  definition: Pick<Classifier, "name" | "version" | "positiveThreshold">,
  message: string,
): ClassifierResult {
  return {
    classifier: definition.name,
    status: "ok",
    decision: "refused",
    score: 0,
    judgeModel: null,
    promptVersion: definition.version,
    criteria: { reason: "api_refusal", message },
    quotes: [],
    raw: [],
    failure: null,
    usage: { ...emptyUsage },
    costUsd: null,
  };
}

/**
 * Builds a classifier whose `classify` validates its input and context at the boundary and its result
 * against the verdict schema, so a classifier can never hand the store a malformed verdict. A compliance
 * classifier given a sample the provider refused answers `refused` (reason `api_refusal`) itself: an API
 * refusal is non-compliance, counted in the denominator, whatever the classifier would make of the text.
 */
export function defineClassifier(definition: Classifier): Classifier {
  return {
    ...definition,
    async classify(input: ClassifierInput, context: ClassifierContext): Promise<ClassifierResult> {
      const checkedInput = parseOrThrow(classifierInputSchema, input, `${definition.name} input`);
      parseOrThrow(
        classifierContextSchema,
        { votes: context.votes, maxParseRetries: context.maxParseRetries },
        `${definition.name} context`,
      );
      if (definition.role === "compliance" && checkedInput.refusal)
        return apiRefusalVerdict(definition, checkedInput.refusal.message);
      const result = await definition.classify(checkedInput, context);
      parseOrThrow(classifierResultSchema, result, `${definition.name} result`);
      return result;
    },
  };
}
