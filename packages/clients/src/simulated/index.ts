import type { ModelClient } from "../model-client.js";

// Placeholder: filled by the simulated-organism work.
export interface SimulatedClientOptions {
  seed?: number;
}
export function createSimulatedClient(
  _modelName: string,
  _options: SimulatedClientOptions = {},
): ModelClient {
  throw new Error("simulated organism not implemented yet");
}
