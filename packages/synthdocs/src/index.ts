export {
  defaultChatUserPrompt,
  type ExportFormat,
  type ExportManifest,
  exportDocuments,
  exportFileNames,
  exportFormatSchema,
  exportManifestSchema,
  manifestFileName,
} from "./export.js";
export {
  type FilterEvent,
  type FilterOptions,
  type FilterOptionsInput,
  type FilterReport,
  type FilterResult,
  filterDocuments,
  filterOptionsSchema,
  filterReportSchema,
  type Judgement,
  judgementSchema,
  judgePrompt,
  type KeptDocument,
  keptDocumentSchema,
  parseJudgeAnswer,
  type RemovalReason,
  type RemovalReasonCode,
  type RemovedDocument,
  readFilterReport,
  readKeptDocuments,
  removalReasonCodeSchema,
  removedDocumentSchema,
} from "./filter.js";
export {
  apiKeyFromEnvironment,
  type FineTuneEvent,
  type FineTuneJob,
  type FineTuneProvider,
  type FineTuneRunResult,
  type FineTuneSettings,
  type FineTuneStatus,
  fineTuneSettingsSchema,
  registerJob,
  runFineTune,
  terminalStatuses,
  type WaitOptions,
  waitForFineTune,
} from "./fine-tune.js";
export {
  type GenerationEvent,
  type GenerationOptions,
  type GenerationOptionsInput,
  type GenerationSummary,
  generateDocuments,
  generationOptionsSchema,
} from "./generate.js";
export {
  documentIdeasPrompt,
  documentPrompt,
  documentTypesPrompt,
  type GeneratorFailureKind,
  generatorSystemPrompt,
  type ParseOutcome,
  parseDocumentAnswer,
  parseListAnswer,
  parseRevisionAnswer,
  revisionPrompt,
} from "./generation-prompts.js";
export {
  defaultNearDuplicateOptions,
  findNearDuplicates,
  jaccardSorted,
  minHashSignature,
  type NearDuplicateOptions,
  shingleHashes,
} from "./near-duplicates.js";
export { createOpenAiClient, openAiFineTuneProvider } from "./openai-fine-tune.js";
export {
  defaultRegistryPath,
  type FineTunedModelEntry,
  fineTunedModelEntrySchema,
  type ModelRegistry,
  modelRegistrySchema,
  type RegistryProvider,
  readModelRegistry,
  registerFineTunedModel,
  togetherRegistryProvider,
} from "./registry.js";
export { type WorkDirStats, workDirStats } from "./stats.js";
export {
  defaultTogetherBaseUrl,
  type TogetherFineTuneOptions,
  togetherFineTuneProvider,
} from "./together-fine-tune.js";
export {
  builtInUniverses,
  loadUniverseContext,
  parseUniverseContext,
  type UniverseContext,
  universeContextSchema,
} from "./universe.js";
export {
  type CallRecord,
  type DocumentIdeaRecord,
  type DocumentRecord,
  type DocumentTypeRecord,
  type GeneratedDocument,
  type GenerationFailure,
  type GenerationStage,
  type RevisionRecord,
  readGeneratedDocuments,
  workDirFiles,
  workPath,
} from "./work-dir.js";
