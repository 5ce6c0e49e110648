export { collect } from "./collect.js";
export type { LeaseClaim, RunLease } from "./leases.js";
export { applyMigrations, type Migration, migrations, schemaVersion } from "./migrations.js";
export { defaultDbPath } from "./paths.js";
export { cachedResponseSchema, sqliteResponseCache } from "./response-cache.js";
export { type Sweep, sweepSchema } from "./rows.js";
export {
  escapeLike,
  type SampleQuery,
  type SampleQueryInput,
  type SampleSort,
  sampleQuerySchema,
  sampleSortSchema,
} from "./sample-query.js";
export {
  availableSqliteDrivers,
  openSqlite,
  type SqliteConnection,
  type SqliteDriver,
  type SqliteOpenOptions,
  type SqliteStatement,
} from "./sqlite-connection.js";
export { openStore } from "./store.js";
export {
  type CreateSweepInput,
  type DecisionCounts,
  type IterateSamplesOptions,
  type JointOutcome,
  type ListRunsOptions,
  listRunsOptionsSchema,
  type OpenStoreOptions,
  type PairedOutcome,
  type RunPatch,
  type RunProgress,
  type RunUsage,
  runPatchSchema,
  type SampleNeighbours,
  type SampleSummary,
  type Store,
  sampleSummarySchema,
  type TierCounts,
  type VerdictDecision,
  verdictDecisionSchema,
} from "./types.js";
