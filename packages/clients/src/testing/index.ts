// The generator the fakes draw faults from (defined in core), for tests that want the same draws.
export { seededRandom } from "@aflab/core";
export { type CapturedRequest, type CaptureServer, startCaptureServer } from "./capture-server.js";
export type { FakeAnthropicBatchOptions, FakeBatchResultType } from "./fake-anthropic-batches.js";
export {
  type FakeAnthropicAnswer,
  type FakeAnthropicBlock,
  type FakeAnthropicReply,
  type FakeAnthropicRequest,
  type FakeAnthropicServerOptions,
  startFakeAnthropicServer,
} from "./fake-anthropic-server.js";
export type { FakeOpenAIBatchOptions, FakeOpenAIBatchSubmission } from "./fake-openai-batches.js";
export {
  type FakeOpenAIAnswer,
  type FakeOpenAIChoice,
  type FakeOpenAIRequest,
  type FakeOpenAIServer,
  type FakeOpenAIServerOptions,
  startFakeOpenAIServer,
} from "./fake-openai-server.js";
export {
  type FakeServer,
  type FakeServerBaseOptions,
  type FaultKind,
  type FaultRates,
  type FaultSpec,
  fakeTokenCount,
  type Latency,
  type RecordedReply,
  type RecordedRequest,
} from "./fake-shared.js";
export { type RecordedReplyName, readRecordedReply, recordedReplyNames } from "./recorded-replies.js";
