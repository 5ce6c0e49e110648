export { type CachedResponse, memoryResponseCache, type ResponseCache } from "./cache.js";
export {
  AflabError,
  type AflabErrorCode,
  describeError,
  InputError,
  isAflabError,
  NotFoundError,
  ProviderError,
} from "./errors.js";
export type { RunEvent, RunEventListener, RunEventType } from "./events.js";
export {
  findModel,
  type ListPrice,
  type ModelEntry,
  modelCatalog,
  type Retirement,
  retirementWarning,
} from "./models.js";
export {
  costOf,
  defaultPricing,
  type ModelPrice,
  modelPriceSchema,
  type PricingTable,
  priceFor,
  pricingTableSchema,
} from "./pricing.js";
export { seededRandom } from "./random.js";
export type {
  FlippedQuery,
  PaperReference,
  RateSummary,
  ReferenceValue,
  ReportWarning,
  RunComparison,
  RunReport,
  TierCategories,
  TierComparison,
} from "./report.js";
export { type Run, type RunInput, type RunStatus, runSchema, runStatusSchema } from "./run.js";
export {
  type DatasetSpec,
  datasetSpecSchema,
  defaultUserFormat,
  modelIdSchema,
  modelNameOf,
  type Protocol,
  protocolSchema,
  providerOf,
  type RunConfig,
  type RunConfigInput,
  runConfigFieldsSchema,
  runConfigSchema,
  type Setting,
  settingSchema,
  type Tier,
  tierSchema,
  type UserFormat,
  userFormatSchema,
} from "./run-config.js";
export {
  type Failure,
  failureSchema,
  type Sample,
  type SampleInput,
  type SampleStatus,
  sampleSchema,
  sampleStatusSchema,
} from "./sample.js";
export {
  isSimulated,
  resolveSimulated,
  type SimulatedModel,
  type SimulatedSides,
  simulatedJudgeId,
  simulatedProvider,
  simulatedSidesOf,
} from "./simulated.js";
export {
  auroc,
  binomialProbability,
  binomialSe,
  type ConfusionMatrix,
  confusionMatrix,
  type Difference,
  type McNemarResult,
  mcnemarTest,
  type PairedComparison,
  type Proportion,
  pairedDifference,
  proportion,
  proportionDifference,
  wilsonInterval,
  Z_95,
} from "./statistics.js";
export { type GapSummary, gapSummarySchema, type TierSummary, tierSummarySchema } from "./summary.js";
export {
  type TranscriptProblem,
  type Turn,
  type TurnRole,
  transcriptProblemSchema,
  turnRoleSchema,
  turnSchema,
} from "./transcript.js";
export { addUsage, emptyUsage, type Usage, usageSchema } from "./usage.js";
export { closestName, formatPath, issuesOf, parseOrThrow, type ValidationIssue } from "./validation.js";
export {
  type ComplianceDecision,
  complianceDecisions,
  type Verdict,
  type VerdictInput,
  type VerdictStatus,
  verdictSchema,
  verdictStatusSchema,
} from "./verdict.js";
