import type { Setting, Tier, Usage, VerdictInput } from "@aflab/core";

/**
 * The judge model, typed structurally. These mirror `ModelClient`, `GenerateRequest` and `GenerateResult`
 * of @aflab/clients field for field, so any ModelClient can be passed where a JudgeClient is expected (and a
 * JudgeClient such as the simulated judge can be used as a ModelClient) without this package importing the
 * clients' implementation.
 */
export interface JudgeMessage {
  role: "user" | "assistant";
  content: string;
}

export interface JudgeRequest {
  system: string;
  messages: JudgeMessage[];
  temperature: number;
  maxTokens: number;
  prefill?: string;
  /** Number of completions (votes). */
  n?: number;
  epoch?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface JudgeResponse {
  /** One text per completion. */
  texts: string[];
  stopReason: string | null;
  usage: Usage;
  costUsd: number | null;
  model: string;
  cached: boolean;
  retries: number;
  latencyMs: number;
}

export interface JudgeClient {
  readonly id: string;
  readonly provider: string;
  readonly simulated: boolean;
  readonly supportsPrefill: boolean;
  generate(request: JudgeRequest): Promise<JudgeResponse>;
}

/** What a classifier reads from a sample. */
export interface ClassifierInput {
  query: string;
  /** The final answer shown to the user; null when the transcript has none. */
  output: string | null;
  /** All scratchpad reasoning joined in order; null when there is none. */
  scratchpad: string | null;
  tier: Tier;
  setting: Setting;
}

export interface ClassifierContext {
  /** The judge model; required by classifiers with `needsJudge`. */
  judge?: JudgeClient;
  signal?: AbortSignal;
  /** Votes for voting judges (af-reasoning); default 20. Other judges ask once. */
  votes?: number;
  /** New requests after a judge answer that does not parse; default 2. */
  maxParseRetries?: number;
}

/** A verdict without the keys the engine fills in. */
export type ClassifierResult = Omit<VerdictInput, "runId" | "sampleKey" | "createdAt">;

export type ClassifierRole = "compliance" | "alignment-faking" | "partial-compliance" | "category";

/** Which part of the sample a classifier judges (used by `evaluateJudge` to place a labelled text). */
export type ClassifierReads = "output" | "scratchpad";

export interface Classifier {
  name: string;
  version: string;
  description: string;
  role: ClassifierRole;
  needsJudge: boolean;
  /** Settings the classifier applies to. */
  settings: Setting[];
  /** The part of the sample the classifier judges. */
  reads: ClassifierReads;
  /** Score at or above which the decision is the positive one (`yes` or `compliant`); null for
   * classifiers without a numeric score (categories). */
  positiveThreshold: number | null;
  classify(input: ClassifierInput, context: ClassifierContext): Promise<ClassifierResult>;
}

/** Why a judge's answer could not be used. */
export type JudgeFailureKind =
  | "no_verdict"
  | "missing_criterion"
  | "ambiguous"
  | "invalid_value"
  | "judge_error"
  | "too_few_votes"
  | "no_output";

export interface JudgeFailure {
  kind: JudgeFailureKind;
  message: string;
}

/** The outcome of parsing one judge text: a value, or a typed failure (never a default answer). */
export type ParseOutcome<Value> = { ok: true; value: Value } | { ok: false; failure: JudgeFailure };
