import { createHash, timingSafeEqual } from "node:crypto";
import { getClassifier } from "@aflab/classifiers";
import {
  InputError,
  modelIdSchema,
  NotFoundError,
  parseOrThrow,
  type RunEvent,
  runConfigSchema,
  runStatusSchema,
  settingSchema,
} from "@aflab/core";
import {
  type ClientFactory,
  classifyRun,
  compareRuns,
  createClientFactory,
  newRunId,
  prepareRun,
  refuseSimulatedJudge,
  startPreparedRun,
  summarizeRun,
} from "@aflab/engine";
import type { Store } from "@aflab/store";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { ApiError, normaliseError, statusOf } from "./api-error.js";
import { RunJobs } from "./run-jobs.js";
import { listSampleRows, sampleNeighbours } from "./sample-listing.js";
import { parseSampleParams } from "./sample-params.js";
import { scrubDeep, scrubSecrets, secretsFromEnvironment } from "./scrub.js";
import { serveViewerFile } from "./static-files.js";

export interface CreateAppOptions {
  store: Store;
  /** Bearer token that unlocks the write routes. Without one, writes answer 403. */
  token?: string;
  /** Directory of the built viewer (index.html + assets), served at `/` with SPA fallback. */
  viewerDir?: string;
  /** Builds model and judge clients for runs started or re-classified through the API. */
  createClient?: ClientFactory;
  /** How often the event stream polls the store for progress (default 500 ms). */
  pollIntervalMs?: number;
  /** Where secret-looking values come from, to keep them out of responses (default `process.env`). */
  environment?: Record<string, string | undefined>;
}

/** The app plus the registry of runs it started, for the server's shutdown. */
export interface BuiltApp {
  app: Hono;
  jobs: RunJobs;
}

const runListParamsSchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, "expected a whole number of 0 or more")
    .transform(Number)
    .pipe(z.number().min(1, "expected at least 1").max(1000, "expected at most 1000"))
    .optional(),
  offset: z
    .string()
    .regex(/^\d+$/, "expected a whole number of 0 or more")
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, `expected at most ${Number.MAX_SAFE_INTEGER}`))
    .optional(),
  status: runStatusSchema.optional(),
  model: z.string().min(1, "expected a model id").optional(),
  setting: settingSchema.optional(),
  sweep: z.string().min(1, "expected a sweep id").optional(),
  q: z.string().max(1000, "expected at most 1000 characters").optional(),
});

const compareParamsSchema = z.strictObject({
  a: z.string().min(1, "expected a run id"),
  b: z.string().min(1, "expected a run id"),
});

const classifyBodySchema = z.strictObject({
  classifiers: z.array(z.string().min(1, "expected a classifier name")).optional(),
  judge: modelIdSchema.optional(),
  force: z.boolean().optional(),
  /** Let the simulated judge classify a real model's samples (refused otherwise). */
  allowSimulatedJudge: z.boolean().optional(),
});

const deleteParamsSchema = z.strictObject({ force: z.enum(["true", "false"]).optional() });

function singleParams(search: URLSearchParams): Record<string, string | string[]> {
  const raw: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    raw[name] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return raw;
}

function searchOf(context: Context): URLSearchParams {
  return new URL(context.req.url).searchParams;
}

/** Two strings equal in constant time (hashing first makes the lengths equal). */
function sameSecret(given: string, expected: string): boolean {
  const left = createHash("sha256").update(given).digest();
  const right = createHash("sha256").update(expected).digest();
  return timingSafeEqual(left, right);
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Events worth forwarding one by one; per-sample events only nudge the next progress message. */
const forwardedEvents = new Set<RunEvent["type"]>(["run-start", "run-end", "sample-error", "retry"]);

/**
 * Build the app and its job registry; `createApp` is the public face of this.
 */
export function buildApp(options: CreateAppOptions): BuiltApp {
  const { store } = options;
  const token = options.token && options.token.length > 0 ? options.token : undefined;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const secrets = [...secretsFromEnvironment(options.environment ?? process.env), ...(token ? [token] : [])];
  const jobs = new RunJobs();
  let defaultFactory: ClientFactory | undefined;
  const clientFactory = (): ClientFactory => {
    if (options.createClient) return options.createClient;
    defaultFactory ??= createClientFactory({ responseCache: store.responseCache() });
    return defaultFactory;
  };

  const send = (context: Context, body: unknown, status: 200 | 202 = 200) =>
    context.json(scrubDeep(body, secrets) as object, status);

  const app = new Hono();

  app.onError((error, context) => {
    // Error messages may echo request input or provider text: scrub the configured secrets from them too.
    const normalised = normaliseError(error);
    const body = { ...normalised, message: scrubSecrets(normalised.message, secrets) };
    if (body.code === "INTERNAL") {
      // The client gets a generic message; the operator gets the scrubbed detail.
      console.error(
        `aflab api: ${scrubSecrets(error instanceof Error ? error.message : String(error), secrets)}`,
      );
    }
    return context.json(body, statusOf(body.code));
  });

  const requireWriteAccess = (context: Context) => {
    if (!token) throw new ApiError("FORBIDDEN", "writes are disabled: set AFLAB_API_TOKEN");
    const header = context.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match?.[1] || !sameSecret(match[1], token)) {
      throw new ApiError(
        "UNAUTHORIZED",
        "expected an Authorization: Bearer <token> header with the API token",
      );
    }
  };

  const readJsonBody = async (context: Context, what: string): Promise<unknown> => {
    const text = await context.req.text();
    if (text.trim() === "") return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError(`${what}: expected a JSON object`, { field: "body" });
    }
  };

  app.get("/api/health", (context) => send(context, { status: "ok", writes: token !== undefined }));

  app.get("/api/runs", (context) => {
    const params = parseOrThrow(runListParamsSchema, singleParams(searchOf(context)), "run query");
    const limit = params.limit ?? 50;
    const offset = params.offset ?? 0;
    const { runs, total } = store.listRuns({
      limit,
      offset,
      ...(params.status ? { status: params.status } : {}),
      ...(params.model ? { model: params.model } : {}),
      ...(params.setting ? { setting: params.setting } : {}),
      ...(params.sweep ? { sweepId: params.sweep } : {}),
      ...(params.q ? { search: params.q } : {}),
    });
    const rows = runs.map((run) => ({
      ...run,
      progress: store.progress(run.id),
      active: jobs.kindOf(run.id) ?? null,
    }));
    return send(context, { runs: rows, total, limit, offset });
  });

  app.get("/api/runs/:id", (context) => {
    const id = context.req.param("id");
    const run = store.requireRun(id);
    return send(context, {
      run,
      summary: summarizeRun(store, id),
      progress: store.progress(id),
      classifiers: store.classifierNames(id),
      failureKinds: store.sampleFailureKinds(id),
      active: jobs.kindOf(id) ?? null,
    });
  });

  app.get("/api/runs/:id/samples", (context) => {
    const id = context.req.param("id");
    store.requireRun(id);
    const filters = parseSampleParams(searchOf(context));
    const page = listSampleRows(store, id, filters);
    return send(context, {
      ...page,
      limit: filters.query.limit ?? 50,
      offset: filters.query.offset ?? 0,
    });
  });

  app.get("/api/runs/:id/samples/:key", (context) => {
    const id = context.req.param("id");
    const key = context.req.param("key");
    store.requireRun(id);
    const filters = parseSampleParams(searchOf(context));
    const sample = store.getSample(id, key);
    if (!sample) throw new NotFoundError(`sample ${key} not found in run ${id}`);
    return send(context, {
      sample,
      verdicts: store.getVerdicts(id, key),
      systemPrompt: store.getSystemPrompt(sample.systemPromptHash) ?? null,
      neighbours: sampleNeighbours(store, id, key, filters),
    });
  });

  app.get("/api/compare", (context) => {
    const params = parseOrThrow(compareParamsSchema, singleParams(searchOf(context)), "compare query");
    const runA = store.requireRun(params.a);
    const runB = store.requireRun(params.b);
    return send(context, {
      runA,
      runB,
      summaryA: summarizeRun(store, params.a),
      summaryB: summarizeRun(store, params.b),
      comparison: compareRuns(store, params.a, params.b),
    });
  });

  app.get("/api/runs/:id/events", (context) => {
    const id = context.req.param("id");
    store.requireRun(id);
    return streamSSE(context, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let writing: Promise<void> = Promise.resolve();
      const write = (event: string, data: unknown) => {
        writing = writing
          .then(() =>
            open ? stream.writeSSE({ event, data: JSON.stringify(scrubDeep(data, secrets)) }) : undefined,
          )
          .catch(() => {
            open = false;
          });
        return writing;
      };
      const unsubscribe = jobs.subscribe(id, (event) => {
        if (forwardedEvents.has(event.type)) void write("run-event", event);
      });
      try {
        let last = "";
        while (open) {
          const run = store.getRun(id);
          if (!run) {
            await write("end", { status: "deleted" });
            break;
          }
          const progress = store.progress(id);
          const active = jobs.kindOf(id) ?? null;
          const snapshot = JSON.stringify({ status: run.status, progress, active });
          if (snapshot !== last) {
            last = snapshot;
            await write("progress", { status: run.status, progress, active });
          }
          if (run.status !== "running" && active === null) {
            await write("end", { status: run.status, progress });
            break;
          }
          await sleep(pollIntervalMs);
        }
      } finally {
        unsubscribe();
        await writing;
      }
    });
  });

  app.post("/api/runs", async (context) => {
    requireWriteAccess(context);
    const body = await readJsonBody(context, "run config");
    const config = parseOrThrow(runConfigSchema, body, "run config");
    if (config.promptFile) {
      throw new InputError(
        "promptFile: files on the server are not read over HTTP; start such runs from the CLI",
        {
          field: "promptFile",
        },
      );
    }
    if (!config.dataset.source.startsWith("builtin:") && config.dataset.source !== "advbench") {
      throw new InputError(
        "dataset.source: expected builtin:harmful, builtin:animal-welfare or advbench over HTTP; start runs on local files from the CLI",
        { field: "dataset.source" },
      );
    }
    // Everything that can fail on bad input fails here, before the run exists.
    const prepared = await prepareRun(config, { createClient: clientFactory() });
    const runId = newRunId();
    jobs.start(
      runId,
      "run",
      (signal, emit) => startPreparedRun(prepared, { store, runId, signal, onEvent: emit }),
      (error) => markFailed(runId, error),
    );
    context.header("location", `/api/runs/${encodeURIComponent(runId)}`);
    // Start warnings (a retired model, a format the classifiers cannot read) go back with the answer.
    return send(
      context,
      { id: runId, status: "running", total: prepared.total, warnings: prepared.warnings },
      202,
    );
  });

  app.post("/api/runs/:id/classify", async (context) => {
    requireWriteAccess(context);
    const id = context.req.param("id");
    const run = store.requireRun(id);
    const body = parseOrThrow(
      classifyBodySchema,
      await readJsonBody(context, "classify request"),
      "classify request",
    );
    if (jobs.kindOf(id) === "classify") {
      throw new ApiError("CONFLICT", `run ${id} is being re-classified; try again once that has finished`);
    }
    if (jobs.isActive(id) || run.status === "running") {
      throw new ApiError("CONFLICT", `run ${id} is still running; classify it once it has finished`);
    }
    const names = body.classifiers ?? run.config.classifiers;
    if (names.length === 0) {
      throw new InputError("classifiers: expected at least one classifier name (the run records none)", {
        field: "classifiers",
      });
    }
    const classifiers = names.map((name) => getClassifier(name));
    const judge = body.judge ?? run.config.judge;
    const needing = classifiers
      .filter((classifier) => classifier.needsJudge)
      .map((classifier) => classifier.name);
    if (needing.length > 0 && !judge) {
      throw new InputError(`judge: classifier ${needing.join(", ")} needs a judge model (provider/model)`, {
        field: "judge",
      });
    }
    // Checked here too, so the refusal is this request's 400 and not a failed job.
    if (needing.length > 0)
      refuseSimulatedJudge(
        run.config.model,
        judge,
        body.allowSimulatedJudge || run.config.allowSimulatedJudge,
      );
    const createClient = clientFactory();
    jobs.start(
      id,
      "classify",
      (signal, emit) =>
        classifyRun(store, id, {
          classifiers: names,
          ...(judge ? { judge } : {}),
          ...(body.force !== undefined ? { force: body.force } : {}),
          ...(body.allowSimulatedJudge ? { allowSimulatedJudge: true } : {}),
          createClient,
          signal,
          onEvent: emit,
        }),
      (error) => {
        console.error(`aflab api: re-classifying ${id} failed: ${scrubSecrets(describe(error), secrets)}`);
      },
    );
    return send(context, { id, classifying: names }, 202);
  });

  app.delete("/api/runs/:id", async (context) => {
    requireWriteAccess(context);
    const id = context.req.param("id");
    const params = parseOrThrow(deleteParamsSchema, singleParams(searchOf(context)), "delete query");
    const run = store.requireRun(id);
    const busy = jobs.isActive(id) || run.status === "running";
    if (busy && params.force !== "true") {
      const doing = jobs.kindOf(id) === "classify" ? "is being re-classified" : "is running";
      throw new ApiError("CONFLICT", `run ${id} ${doing}; pass ?force=true to cancel and delete it`);
    }
    await jobs.cancel(id);
    store.deleteRun(id);
    return send(context, { id, deleted: true });
  });

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

  function markFailed(runId: string, error: unknown): void {
    const message = scrubSecrets(describe(error), secrets);
    const run = store.getRun(runId);
    if (run && run.status === "running") store.updateRun(runId, { status: "failed", error: message });
    console.error(`aflab api: run ${runId} failed: ${message}`);
  }

  return { app, jobs };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The HTTP API over a store: read routes under `/api`, an event stream per run, bearer-token writes,
 * and the built viewer at `/`.
 *
 * @example
 * const app = createApp({ store: openStore(":memory:") });
 * const response = await app.request("/api/runs");
 */
export function createApp(options: CreateAppOptions): Hono {
  return buildApp(options).app;
}
