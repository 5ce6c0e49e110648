export type {
  BatchCounts,
  BatchPatch,
  BatchRequest,
  BatchRequestState,
  BatchState,
  NewBatch,
  NewBatchRequest,
  RunBatch,
} from "./batches.js";
export { collect } from "./collect.js";
export { type CopyOptions, type CopyProgress, type CopySummary, copyStore } from "./copy.js";
export type { LeaseClaim, RunLease } from "./leases.js";
export { applyMigrations, type Migration, migrations, schemaVersion } from "./migrations.js";
export { type OpenStoreUrlOptions, openStoreUrl, storeAt } from "./open-store-url.js";
export { defaultDbPath } from "./paths.js";
export { isPostgresUrl, parsePostgresUrl } from "./postgres/connection.js";
export { postgresMigrations, postgresSchemaVersion } from "./postgres/migrations.js";
export {
  createPostgresStore,
  openPostgresStore,
  PostgresStore,
  type PostgresStoreOptions,
} from "./postgres/store.js";
export {
  type PromptSet,
  type PromptSetInput,
  type PromptSetMember,
  type PromptSetMemberInput,
  type PromptSetSummary,
  promptSetMemberSchema,
  promptSetSchema,
  promptTextHash,
} from "./prompt-sets.js";
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
