export {
  type FakeOpenAiFineTuningOptions,
  type FakeOpenAiFineTuningServer,
  type OpenAiJobStatus,
  startFakeOpenAiFineTuningServer,
} from "./fake-openai-fine-tuning.js";
export {
  type FakeTogetherFineTuningOptions,
  type FakeTogetherFineTuningServer,
  startFakeTogetherFineTuningServer,
  type TogetherJobStatus,
} from "./fake-together-fine-tuning.js";
export type { RecordedRequest } from "./http.js";
export {
  createScriptedDocumentGenerator,
  createScriptedJudge,
  type ScriptedGeneratorOptions,
} from "./scripted-document-generator.js";
export { createScriptedModelClient, type ScriptedModelClient } from "./scripted-model-client.js";
