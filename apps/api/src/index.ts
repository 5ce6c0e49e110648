export {
  ApiError,
  type ApiErrorBody,
  type ApiErrorCode,
  apiErrorCodes,
  normaliseError,
} from "./api-error.js";
export { type BuiltApp, buildApp, type CreateAppOptions, createApp } from "./app.js";
export { defaultEventStreamLimits, type EventStreamLimits } from "./middleware/event-stream-limit.js";
export { defaultJobStartLimits, type JobStartLimits } from "./middleware/job-start-limit.js";
export { defaultMaxBodyBytes } from "./middleware/json-body.js";
export { checkApiToken } from "./middleware/write-access.js";
export type { WorkersSource } from "./routes/workers.js";
export { checkAllowedBaseUrls } from "./run-request.js";
export { parseSampleParams, type SampleFilters } from "./sample-params.js";
export { defaultViewerDir, type RunningServer, type StartServerOptions, startServer } from "./server.js";
