import { type AcceptedRun, describeError, parseOrThrow, scrubSecrets } from "@aflab/core";
import { resumeRun } from "@aflab/engine";
import { Hono } from "hono";
import { z } from "zod";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";
import { ApiError } from "../api-error.js";
import { clientOf } from "../middleware/job-start-limit.js";
import { parseRunRequest } from "../run-request.js";

/** Nothing to choose: a resumed run keeps the settings it was started with. */
const resumeRequestSchema = z.strictObject({});

/** Config fields a run records but a request may not send: dropped before the stored config is re-checked. */
const recordedOnly = new Set(["userTemplateHash"]);

/**
 * `POST /runs/:id/resume` (token): runs the samples a stored run is missing or that errored, and classifies
 * finished ones that lack a verdict, in the background, as `aflab run --resume` does.
 */
export function resumeRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store, jobs } = api;
  const routes = new Hono<ApiEnv>();

  routes.post("/runs/:id/resume", api.writeAccess, async (context) => {
    const id = context.req.param("id");
    parseOrThrow(resumeRequestSchema, context.get("body"), "resume request");
    const run = await store.requireRun(id);
    if (jobs.isActive(id)) {
      throw new ApiError(
        "CONFLICT",
        `run ${id} is already ${jobs.kindOf(id) === "classify" ? "being re-classified" : "running"} here`,
      );
    }
    const lease = await store.getRunLease(id);
    if (lease && lease.expiresAt > Date.now()) {
      throw new ApiError(
        "CONFLICT",
        `run ${id} is running in another process (pid ${lease.pid}); resume it once that stops`,
      );
    }
    if (run.status === "complete") {
      throw new ApiError("CONFLICT", `run ${id} is complete: nothing to resume (re-classify it instead)`);
    }
    // The stored config meets the rules a new run request meets: a run started from the CLI on a prompt
    // file, a local dataset or a base URL this server does not allow is resumed from the CLI.
    const stored = Object.fromEntries(
      Object.entries(run.config).filter(([field, value]) => value !== undefined && !recordedOnly.has(field)),
    );
    try {
      parseRunRequest(stored, api.policy);
    } catch (error) {
      throw new ApiError(
        "BAD_REQUEST",
        `run ${id} cannot be resumed over HTTP (${error instanceof Error ? error.message : String(error)}); resume it with aflab run --resume ${id}`,
      );
    }
    const reservation = api.startLimiter.reserve(clientOf(context));
    reservation.bind(
      jobs.start(
        id,
        "run",
        (signal, emit) => resumeRun(id, { store, createClient: api.clientFactory(), signal, onEvent: emit }),
        (error) => {
          const message = scrubSecrets(describeError(error), api.secrets);
          console.error(`aflab api: resuming ${id} failed: ${message}`);
          void store
            .getRun(id)
            .then((current) =>
              current?.status === "running"
                ? store.updateRun(id, { status: "failed", error: message })
                : undefined,
            )
            .catch(() => {});
        },
      ),
    );
    const progress = await store.progress(id);
    return send(
      context,
      api,
      { id, status: "running", total: progress.total, warnings: [] } satisfies AcceptedRun,
      202,
    );
  });

  return routes;
}
