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
export { loadPromptFile } from "./prompt-file/load-prompt-file.js";
export {
  type IncludedTemplate,
  type RenderPromptTemplateOptions,
  renderPromptTemplate,
} from "./prompt-file/render-prompt-template.js";
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
