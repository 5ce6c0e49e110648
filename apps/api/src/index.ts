export {
  ApiError,
  type ApiErrorBody,
  type ApiErrorCode,
  apiErrorCodes,
  normaliseError,
} from "./api-error.js";
export { type BuiltApp, buildApp, type CreateAppOptions, createApp } from "./app.js";
export { parseSampleParams, type SampleFilters } from "./sample-params.js";
export { defaultViewerDir, type RunningServer, type StartServerOptions, startServer } from "./server.js";
