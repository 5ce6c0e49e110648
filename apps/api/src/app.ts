import { type HealthStatus, scrubSecrets, secretsFromEnvironment } from "@aflab/core";
import { type ClientFactory, createClientFactory } from "@aflab/engine";
import type { Store } from "@aflab/store";
import { Hono } from "hono";
import { every } from "hono/combine";
import { HTTPException } from "hono/http-exception";
import { type ApiContext, type ApiEnv, send } from "./api-context.js";
import { ApiError, normaliseError, statusOf } from "./api-error.js";
import {
  defaultEventStreamLimits,
  EventStreamLimiter,
  type EventStreamLimits,
} from "./middleware/event-stream-limit.js";
import { defaultJobStartLimits, JobStartLimiter, type JobStartLimits } from "./middleware/job-start-limit.js";
import { defaultMaxBodyBytes, jsonBody, limitBody } from "./middleware/json-body.js";
import { writeAccess } from "./middleware/write-access.js";
import { RunProgressHub } from "./progress-hub.js";
import { compareRoutes } from "./routes/compare.js";
import { eventRoutes } from "./routes/events.js";
import { itemRoutes } from "./routes/items.js";
import { labelRoutes } from "./routes/labels.js";
import { resumeRoutes } from "./routes/resume.js";
import { runRoutes } from "./routes/runs.js";
import { sampleRoutes } from "./routes/samples.js";
import { sweepRoutes } from "./routes/sweeps.js";
import { type WorkersSource, workerRoutes } from "./routes/workers.js";
import { RunJobs } from "./run-jobs.js";
import { checkAllowedBaseUrls } from "./run-request.js";
import { serveViewerFile } from "./static-files.js";

export interface CreateAppOptions {
  store: Store;
  /** Bearer token that unlocks the write routes. Without one, writes answer 403. */
  token?: string;
  /** Directory of the built viewer (index.html + assets), served at `/` with SPA fallback. */
  viewerDir?: string;
  /** Builds model and judge clients for runs started or re-classified through the API. */
  createClient?: ClientFactory;
  /**
   * Base URLs a run request's `baseUrl` may name (an OpenAI-compatible server the operator runs). Any
   * other is refused; without any, requests use only the providers' own base URLs.
   */
  allowedBaseUrls?: readonly string[];
  /** Largest request body in bytes (default 64 KiB); larger ones get 413 without being read. */
  maxBodyBytes?: number;
  /** Per-client limits on runs and re-classifications started (default 3 in flight, 10 a minute). */
  jobStartLimits?: Partial<JobStartLimits>;
  /** How often the event stream polls the store for progress (default 500 ms). */
  pollIntervalMs?: number;
  /** Caps on open event streams (default 32 per client address, 512 in total); past one, 429. */
  eventStreamLimits?: Partial<EventStreamLimits>;
  /** Where secret-looking values come from, to keep them out of responses (default `process.env`). */
  environment?: Record<string, string | undefined>;
  /** The queue's worker heartbeats, on a PostgreSQL store (`/api/workers`; without it `workers` is null). */
  workers?: WorkersSource;
}

/** The app plus the registry of runs it started, for the server's shutdown. */
export interface BuiltApp {
  app: Hono<ApiEnv>;
  jobs: RunJobs;
}

/**
 * Build the app and its job registry; `createApp` is the public face of this.
 * @throws InputError for a token a bearer header cannot carry or an allowed base URL that is not one
 */
export function buildApp(options: CreateAppOptions): BuiltApp {
  const { store } = options;
  const token = options.token && options.token.length > 0 ? options.token : undefined;
  const secrets = [...secretsFromEnvironment(options.environment ?? process.env), ...(token ? [token] : [])];
  const jobs = new RunJobs();
  let defaultFactory: ClientFactory | undefined;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const api: ApiContext = {
    store,
    jobs,
    secrets,
    clientFactory: () => {
      if (options.createClient) return options.createClient;
      defaultFactory ??= createClientFactory({ responseCache: store.responseCache() });
      return defaultFactory;
    },
    pollIntervalMs,
    policy: { allowedBaseUrls: checkAllowedBaseUrls(options.allowedBaseUrls ?? []) },
    // Who may write comes first, so a stranger's body is never read; then its size, then its JSON.
    writeAccess: every(
      writeAccess(token),
      limitBody(options.maxBodyBytes ?? defaultMaxBodyBytes),
      jsonBody(),
    ),
    startLimiter: new JobStartLimiter({ ...defaultJobStartLimits, ...options.jobStartLimits }),
    streamLimiter: new EventStreamLimiter({ ...defaultEventStreamLimits, ...options.eventStreamLimits }),
    progressHub: new RunProgressHub(store, jobs, pollIntervalMs),
  };

  const app = new Hono<ApiEnv>();

  app.onError((error, context) => {
    // Hono's own middleware (bearer auth) answers with a finished response.
    if (error instanceof HTTPException) return error.getResponse();
    // Error messages may echo request input or provider text: scrub the configured secrets from them too.
    const normalised = normaliseError(error);
    const body = { ...normalised, message: scrubSecrets(normalised.message, secrets) };
    if (body.code === "INTERNAL") {
      // The client gets a generic message; the operator gets the scrubbed detail.
      console.error(
        `aflab api: ${scrubSecrets(error instanceof Error ? error.message : String(error), secrets)}`,
      );
    }
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) context.header(name, value);
    }
    return context.json(body, statusOf(body.code));
  });

  app.get("/api/health", (context) =>
    send(context, api, { status: "ok", writes: token !== undefined } satisfies HealthStatus),
  );
  app.route("/api", runRoutes(api));
  app.route("/api", sampleRoutes(api));
  app.route("/api", itemRoutes(api));
  app.route("/api", compareRoutes(api));
  app.route("/api", eventRoutes(api));
  app.route("/api", labelRoutes(api));
  app.route("/api", sweepRoutes(api));
  app.route("/api", resumeRoutes(api));
  app.route("/api", workerRoutes(api, options.workers));

  app.all("/api/*", () => {
    throw new ApiError("NOT_FOUND", "no such API route");
  });

  app.get("*", async (context) => {
    const viewerDir = options.viewerDir;
    const response = viewerDir ? await serveViewerFile(viewerDir, context.req.path) : undefined;
    if (!response) throw new ApiError("NOT_FOUND", "the viewer is not built: run the viewer build first");
    return response;
  });

  app.all("*", () => {
    throw new ApiError("NOT_FOUND", "no such route");
  });

  return { app, jobs };
}

/**
 * The HTTP API over a store: read routes under `/api`, an event stream per run, bearer-token writes,
 * and the built viewer at `/`.
 *
 * @example
 * const app = createApp({ store: openStore(":memory:") });
 * const response = await app.request("/api/runs");
 */
export function createApp(options: CreateAppOptions): Hono<ApiEnv> {
  return buildApp(options).app;
}
