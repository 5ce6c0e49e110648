export { createSimulatedClient, type SimulatedClient, type SimulatedClientOptions } from "./client.js";
export {
  type DecisionOptions,
  type MalformedKind,
  type SimulatedDecision,
  type SimulatedShape,
  simulateDecision,
  trainingPressure,
} from "./decision.js";
export {
  parseSimulatedModel,
  type SimulatedBase,
  type SimulatedModelName,
  type SimulatedProfile,
  simulatedModelHelp,
  simulatedModelNames,
} from "./profiles.js";
export type { Consequence, SimulatedTier } from "./situation.js";
