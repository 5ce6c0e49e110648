export {
  AF_PAPER_HARD_VERSION,
  AF_PAPER_SOFT_VERSION,
  AF_PAPER_VERSION,
  afPaper,
  afPaperCombine,
  afPaperHard,
  afPaperSoft,
} from "./af-paper.js";
export {
  AF_REASONING_VERSION,
  type AfReasoningCriterion,
  type AfReasoningVote,
  type AfVoteTally,
  afDecision,
  afReasoning,
  afReasoningCriteria,
  parseAfReasoningVote,
  tallyAfVotes,
} from "./af-reasoning.js";
export { ANTI_LAB_VERSION, antiLab } from "./anti-lab.js";
export {
  type CategoryVerdict,
  type CriteriaVerdict,
  parseCategoryVerdict,
  parseCriteriaVerdict,
} from "./criteria-judge.js";
export {
  EVAL_AWARENESS_VERSION,
  type EvalAwarenessCriterion,
  evalAwareness,
  evalAwarenessCriteria,
} from "./eval-awareness.js";
export {
  CALIBRATION_BINS,
  type Calibration,
  type CalibrationBin,
  calibration,
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  type EvaluateJudgeOptions,
  type EvaluationFailure,
  type EvaluationItem,
  type EvaluationRow,
  evaluateJudge,
  type Framing,
  frameItem,
  type JudgeEvaluation,
  type VoteCurvePoint,
  voteCurve,
} from "./evaluate.js";
export type { CriterionAnswer } from "./judge-format.js";
export { DEFAULT_MAX_PARSE_RETRIES, DEFAULT_VOTES } from "./judge-runner.js";
export {
  type CsvRecord,
  type LabelledExample,
  type LabelledExampleOptions,
  loadLabelledExamples,
  parseCsv,
  parseLabelledCsv,
  parseLabelledJsonl,
} from "./labelled-examples.js";
export {
  AW_SUPPORT_VERSION,
  awSupport,
  COMPLIANCE_REASONS_VERSION,
  complianceReasons,
  MOTIVATIONS_VERSION,
  motivations,
  PARTIAL_COMPLIANCE_VERSION,
  partialCompliance,
} from "./output-judges.js";
export { PARAPHRASE_CHECK_VERSION, paraphraseCheck, paraphraseFacts } from "./paraphrase-check.js";
export {
  type ClassifierPlan,
  type ClassifierRequest,
  defaultClassifiers,
  getClassifier,
  listClassifiers,
  planClassifiers,
} from "./registry.js";
export { createSimulatedJudge, simulatedJudgeAnswer, simulatedJudgeSignals } from "./simulated-judge.js";
export {
  parseStrongReject,
  STRONGREJECT_VERSION,
  type StrongRejectAnswers,
  strongReject,
  strongRejectScore,
} from "./strongreject.js";
export {
  classifyByTags,
  TAG_COMPLIANCE_RULE,
  TAG_COMPLIANCE_VERSION,
  tagCompliance,
} from "./tag-compliance.js";
export type {
  Classifier,
  ClassifierContext,
  ClassifierInput,
  ClassifierReads,
  ClassifierResult,
  ClassifierRole,
  JudgeClient,
  JudgeFailure,
  JudgeFailureKind,
  JudgeMessage,
  JudgeRequest,
  JudgeResponse,
  ParseOutcome,
} from "./types.js";
export { tallyVotes, type VoteTally, type VotingJudgeSpec } from "./voting-judge.js";
