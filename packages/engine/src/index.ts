export { antiLabReport } from "./anti-lab-report.js";
export { requireBatchApi } from "./batch-run.js";
export { type ClassifyOutcome, type ClassifyRunOptions, classifyRun } from "./classify-run.js";
export { type ClientFactoryOptions, createClientFactory } from "./client-factory.js";
export { compareRuns } from "./compare.js";
export {
  type CostScenarios,
  charactersPerToken,
  type EstimateOptions,
  estimateErrorBound,
  estimateRun,
  type PartEstimate,
  type RunEstimate,
  type TokenCounting,
} from "./estimate-run.js";
export { expandedCount, expandSamples, type PlannedItem, type SamplePlan } from "./expand.js";
export {
  type GeneratedSample,
  type GenerationSettings,
  generateSample,
  NEXT_TURN,
} from "./generate-sample.js";
export { newRunId, sampleKey, sha256 } from "./keys.js";
export { paperReference, paperVariations, referenceForRun } from "./paper-reference.js";
export {
  extractParaphrase,
  generateParaphrases,
  type ParaphraseOptionsInput,
  type ParaphraseOutcome,
  type ParaphraseRunOptions,
  paraphraseOptionsSchema,
  paraphraseRequestText,
  paraphraseStyles,
  paraphraseSystem,
} from "./paraphrase.js";
export { checkParaphraseStructure, lengthBounds, type StructureCheck } from "./paraphrase-checks.js";
export { paraphraseDistribution, spreadOf } from "./paraphrase-distribution.js";
export {
  type ClientFactory,
  maxRunSamples,
  type PreparedRun,
  prepareRun,
  refuseSimulatedJudge,
} from "./prepare-run.js";
export { probeCurve } from "./probe-curve.js";
export { ProviderSlots } from "./queue/provider-slots.js";
export { type QueueRunOptions, queueRun } from "./queue/queue-run.js";
export { queueSweep } from "./queue/queue-sweep.js";
export {
  type SampleJob,
  SampleQueue,
  type SampleQueueOptions,
  sampleQueueName,
} from "./queue/sample-queue.js";
export { type QueueWorkerOptions, runQueueWorker, type WorkerProgress } from "./queue/worker.js";
export { WorkerRegistry, type WorkersStatus } from "./queue/worker-registry.js";
export {
  type RunExperimentOptions,
  type RunOutcome,
  resumeRun,
  startPreparedRun,
  startRun,
} from "./run-experiment.js";
export { summarizeRun } from "./summarize.js";
export {
  cellRunId,
  loadSweepPromptSet,
  type PreparedSweep,
  prepareSweep,
  runSweep,
  type SweepCell,
  type SweepConfig,
  type SweepConfigInput,
  type SweepOptions,
  type SweepOutcome,
  type SweepPromptSet,
  sweepCells,
  sweepConfigSchema,
} from "./sweep.js";
export { sweepConfigJsonSchema } from "./sweep-schema.js";
export { runPool } from "./worker-pool.js";
