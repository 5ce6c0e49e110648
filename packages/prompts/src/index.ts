export {
  ADVBENCH_URL,
  defaultCacheDir,
  type LoadDatasetOptions,
  loadDataset,
} from "./datasets/load-dataset.js";
export {
  type DatasetFormat,
  type DatasetItem,
  datasetItemSchema,
  defaultQueryColumns,
  type ParseDatasetOptions,
  parseDataset,
} from "./datasets/parse-dataset.js";
export { promptRoots, repositoryRoot } from "./prompt-file/include-reader.js";
export { type LoadPromptFileOptions, loadPromptFile } from "./prompt-file/load-prompt-file.js";
export {
  type IncludedTemplate,
  type RenderPromptTemplateOptions,
  renderPromptTemplate,
} from "./prompt-file/render-prompt-template.js";
export {
  defaultTierValues,
  type LoadUserTemplateOptions,
  loadUserTemplate,
  type UserTemplate,
} from "./prompt-file/user-template.js";
export { antiLabScenarios } from "./queries/anti-lab.js";
export { animalWelfareQueries, harmfulQueries } from "./queries/index.js";
export { type ResolvedPrompt, type ResolvePromptOptions, resolvePrompt } from "./resolve-prompt.js";
export {
  buildSettingSections,
  listSettings,
  type NoTrainingDetailsOptions,
  noTrainingDetailsSections,
} from "./settings/build.js";
export { defaultCompany } from "./settings/common.js";
export { corporatePartner } from "./settings/criteria.js";
export { type FewShotExample, fewShotExamples } from "./settings/examples.js";
export { type PromptSection, renderSections, type SectionId, sectionIds } from "./settings/sections.js";
export {
  type Acceptance,
  type AssistantTurnKind,
  acceptanceOf,
  assistantTextsOf,
  classifyAssistantTurn,
  type ParsedTranscript,
  type ParseTranscriptOptions,
  parseTranscript,
} from "./transcript/parse-transcript.js";
export { buildUserTurn, type TierTagStyle, tiersOfStyle } from "./user-turn.js";
export {
  type AppliedVariants,
  applyVariants,
  getVariant,
  listVariants,
  variantNames,
} from "./variants/apply.js";
export { paperVariationLabel, paperVariationLabels } from "./variants/paper-labels.js";
export {
  getProbeFamily,
  listProbeFamilies,
  monitoringSteps,
  type ProbeFamily,
  type ProbeMember,
  selectProbeMembers,
} from "./variants/probe-families.js";
export type { VariantDefinition, VariantInfo } from "./variants/types.js";
