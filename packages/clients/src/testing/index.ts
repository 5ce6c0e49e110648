export {
  type FakeAnthropicRequest,
  type FakeAnthropicServerOptions,
  startFakeAnthropicServer,
} from "./fake-anthropic-server.js";
export {
  type FakeOpenAIRequest,
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
  type RecordedRequest,
  seededRandom,
} from "./fake-shared.js";
