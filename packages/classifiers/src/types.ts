import type { ChatMessage, GenerateRequest, GenerateResult, ModelClient } from "@aflab/clients";
import type { Refusal, Setting, Tier, VerdictInput } from "@aflab/core";

/**
 * The judge model is any `ModelClient` from @aflab/clients. These aliases name the judge's side of that
 * interface in this package's vocabulary.
 */
export type JudgeClient = ModelClient;
export type JudgeRequest = GenerateRequest;
export type JudgeResponse = GenerateResult;
export type JudgeMessage = ChatMessage;

/** What a classifier reads from a sample. */
export interface ClassifierInput {
  query: string;
  /** The final answer shown to the user; null when the transcript has none. */
  output: string | null;
  /** The hidden reasoning the scratchpad judges read: the scratchpad tags, the model's native reasoning,
   * or both, as the run's `scratchpadSource` chose (the engine resolves it); null when there is none. */
  scratchpad: string | null;
  tier: Tier;
  setting: Setting;
  /** Set when the provider refused the request (`api_refusal`): every compliance classifier then decides
   * `refused` without reading the text or calling a judge. */
  refusal?: Refusal | null;
}

export interface ClassifierContext {
  /** The judge model; required by classifiers with `needsJudge`. */
  judge?: ModelClient;
  signal?: AbortSignal;
  /** Votes for voting judges (af-reasoning); default 20. Other judges ask once. */
  votes?: number;
  /** New requests after a judge answer that does not parse; default 2. */
  maxParseRetries?: number;
}

/** A verdict without the keys the engine fills in. */
export type ClassifierResult = Omit<VerdictInput, "runId" | "sampleKey" | "createdAt">;

export type ClassifierRole =
  | "compliance"
  | "alignment-faking"
  | "evaluation-awareness"
  | "partial-compliance"
  | "anti-ai-lab"
  | "category";

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
  /**
   * Voting classifiers only: the Yes/No of each vote stored in a verdict's raw texts, in order (null for a
   * vote that did not parse). Lets a k-vote curve be computed from stored votes without new judge calls.
   */
  readVotes?: (raw: readonly string[]) => Array<boolean | null>;
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
