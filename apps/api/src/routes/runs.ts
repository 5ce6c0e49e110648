import { planClassifiers } from "@aflab/classifiers";
import {
  type AcceptedClassify,
  type AcceptedRun,
  type DeletedRun,
  describeError,
  parseOrThrow,
  type RunDetail,
  type RunList,
  runStatusSchema,
  scrubSecrets,
  settingSchema,
} from "@aflab/core";
import {
  classifyRun,
  newRunId,
  prepareRun,
  refuseSimulatedJudge,
  startPreparedRun,
  summarizeRun,
} from "@aflab/engine";
import { Hono } from "hono";
import { z } from "zod";
import { type ApiContext, type ApiEnv, responseText, send, sendText } from "../api-context.js";
import { ApiError } from "../api-error.js";
import { clientOf } from "../middleware/job-start-limit.js";
import { searchOf, singleParams } from "../query-params.js";
import { classifyRequestSchema, parseRunRequest } from "../run-request.js";
import { runResultsCache } from "../run-results.js";
import { runSortSchema, sortedRunPage } from "../run-sort.js";
import { stampedCache } from "../stamped-cache.js";

const wholeNumber = z.string().regex(/^\d+$/, "expected a whole number of 0 or more").transform(Number);

const runListParamsSchema = z.strictObject({
  limit: wholeNumber
    .pipe(z.number().min(1, "expected at least 1").max(1000, "expected at most 1000"))
    .optional(),
  offset: wholeNumber
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, `expected at most ${Number.MAX_SAFE_INTEGER}`))
    .optional(),
  status: runStatusSchema.optional(),
  model: z.string().min(1, "expected a model id").optional(),
  setting: settingSchema.optional(),
  sweep: z.string().min(1, "expected a sweep id").optional(),
  simulated: z.enum(["true", "false"], "expected true or false").optional(),
  q: z.string().max(1000, "expected at most 1000 characters").optional(),
  sort: runSortSchema.optional(),
  order: z.enum(["asc", "desc"], "expected asc or desc").optional(),
});

const deleteParamsSchema = z.strictObject({ force: z.enum(["true", "false"]).optional() });

/** `/runs`: list, read, start, re-classify and delete runs. */
export function runRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store, jobs } = api;
  const routes = new Hono<ApiEnv>();

  routes.get("/runs", async (context) => {
    const params = parseOrThrow(runListParamsSchema, singleParams(searchOf(context)), "run query");
    const limit = params.limit ?? 50;
    const offset = params.offset ?? 0;
    const filters = {
      ...(params.status ? { status: params.status } : {}),
      ...(params.model ? { model: params.model } : {}),
      ...(params.setting ? { setting: params.setting } : {}),
      ...(params.sweep ? { sweepId: params.sweep } : {}),
      ...(params.simulated ? { simulated: params.simulated === "true" } : {}),
      ...(params.q ? { search: params.q } : {}),
    };
    const results = runResultsCache(store);
    const sort = params.sort ?? "created";
    const order = params.order ?? (sort === "run" || sort === "model" ? "asc" : "desc");
    // Newest first is the store's own order, paged there; any other order is taken across every run.
    const { runs, total } =
      sort === "created" && order === "desc"
        ? await store.listRuns({ limit, offset, ...filters })
        : await sortedRunPage(store, results, filters, sort, order, limit, offset);
    const rows: RunList["runs"] = [];
    for (const run of runs) {
      rows.push({
        ...run,
        progress: await store.progress(run.id),
        active: jobs.kindOf(run.id) ?? null,
        results: await results.results(run.id),
      });
    }
    return send(context, api, { runs: rows, total, limit, offset } satisfies RunList);
  });

  routes.get("/runs/:id", async (context) => {
    const id = context.req.param("id");
    await store.requireRun(id);
    const active = jobs.kindOf(id) ?? null;
    // Everything here but `active` (this process's jobs, part of the key) comes from the store: the answer
    // is kept, as sent, until the run changes.
    const text = await stampedCache<string>(store, "run-detail", 1000).get(
      store,
      JSON.stringify([id, active]),
      [id],
      async () =>
        responseText(api, {
          run: await store.requireRun(id),
          summary: await summarizeRun(store, id),
          progress: await store.progress(id),
          classifiers: await store.classifierNames(id),
          failureKinds: await store.sampleFailureKinds(id),
          active,
        } satisfies RunDetail),
    );
    return sendText(context, text);
  });

  routes.post("/runs", api.writeAccess, async (context) => {
    const config = parseRunRequest(context.get("body"), api.policy);
    const reservation = api.startLimiter.reserve(clientOf(context));
    try {
      // Everything that can fail on bad input fails here, before the run exists.
      const prepared = await prepareRun(config, { createClient: api.clientFactory() });
      const runId = newRunId();
      reservation.bind(
        jobs.start(
          runId,
          "run",
          (signal, emit) => startPreparedRun(prepared, { store, runId, signal, onEvent: emit }),
          (error) =>
            void markFailed(runId, error).catch((failure: unknown) =>
              console.error(`aflab api: run ${runId}: ${describeError(failure)}`),
            ),
        ),
      );
      context.header("location", `/api/runs/${encodeURIComponent(runId)}`);
      return send(
        context,
        api,
        // Start warnings (a retired model, a format the classifiers cannot read) go back with the answer.
        {
          id: runId,
          status: "running",
          total: prepared.total,
          warnings: prepared.warnings,
        } satisfies AcceptedRun,
        202,
      );
    } catch (error) {
      reservation.cancel();
      throw error;
    }
  });

  routes.post("/runs/:id/classify", api.writeAccess, async (context) => {
    const id = context.req.param("id");
    const run = await store.requireRun(id);
    const body = parseOrThrow(classifyRequestSchema, context.get("body"), "classify request");
    if (jobs.kindOf(id) === "classify") {
      throw new ApiError("CONFLICT", `run ${id} is being re-classified; try again once that has finished`);
    }
    if (jobs.isActive(id) || run.status === "running") {
      throw new ApiError("CONFLICT", `run ${id} is still running; classify it once it has finished`);
    }
    const judge = body.judge ?? run.config.judge;
    // The same rule as a run and the CLI's classify: defaults, the AF judge's companion, the judge check.
    const plan = planClassifiers({
      setting: run.config.setting,
      classifiers: body.classifiers ?? run.config.classifiers,
      judge,
    });
    // Checked here too, so the refusal is this request's 400 and not a failed job.
    if (plan.needsJudge)
      refuseSimulatedJudge(
        run.config.model,
        judge,
        body.allowSimulatedJudge || run.config.allowSimulatedJudge,
      );
    const createClient = api.clientFactory();
    // The judge's client is made now, so a judge whose key would go to a host the operator did not
    // name (or that has no key) is refused with 400 here rather than failing in the background.
    if (judge && plan.needsJudge) {
      createClient(judge, "judge", { ...run.config, judge });
    }
    const reservation = api.startLimiter.reserve(clientOf(context));
    reservation.bind(
      jobs.start(
        id,
        "classify",
        (signal, emit) =>
          classifyRun(store, id, {
            classifiers: plan.recorded,
            ...(judge ? { judge } : {}),
            ...(body.force !== undefined ? { force: body.force } : {}),
            ...(body.allowSimulatedJudge ? { allowSimulatedJudge: true } : {}),
            createClient,
            signal,
            onEvent: emit,
          }),
        (error) => {
          console.error(
            `aflab api: re-classifying ${id} failed: ${scrubSecrets(describeError(error), api.secrets)}`,
          );
        },
      ),
    );
    return send(context, api, { id, classifying: plan.names } satisfies AcceptedClassify, 202);
  });

  routes.delete("/runs/:id", api.writeAccess, async (context) => {
    const id = context.req.param("id");
    const params = parseOrThrow(deleteParamsSchema, singleParams(searchOf(context)), "delete query");
    const run = await store.requireRun(id);
    const busy = jobs.isActive(id) || run.status === "running";
    if (busy && params.force !== "true") {
      const doing = jobs.kindOf(id) === "classify" ? "is being re-classified" : "is running";
      throw new ApiError("CONFLICT", `run ${id} ${doing}; pass ?force=true to cancel and delete it`);
    }
    await jobs.cancel(id);
    await store.deleteRun(id);
    return send(context, api, { id, deleted: true } satisfies DeletedRun);
  });

  async function markFailed(runId: string, error: unknown): Promise<void> {
    const message = scrubSecrets(describeError(error), api.secrets);
    const run = await store.getRun(runId);
    if (run && run.status === "running") await store.updateRun(runId, { status: "failed", error: message });
    console.error(`aflab api: run ${runId} failed: ${message}`);
  }

  return routes;
}
