import type { WorkersReport } from "@aflab/core";
import type { WorkerRegistry } from "@aflab/engine";
import { isPostgresUrl } from "@aflab/store";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";

/** Where the API reads the queue's workers from (the server opens it on a PostgreSQL store). */
export type WorkersSource = Pick<WorkerRegistry, "list">;

/**
 * `/workers` and `/runs/:id/workers`: the queue's workers from their heartbeats, with live count,
 * samples per second and samples done (one small query). Without a queue to follow (a SQLite store) the
 * answer says so with `workers: null`, not an error.
 */
export function workerRoutes(api: ApiContext, workers: WorkersSource | undefined): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();
  const backend = isPostgresUrl(store.path) ? "postgres" : "sqlite";

  const report = async (runId?: string): Promise<WorkersReport> =>
    workers ? { backend: "postgres", ...(await workers.list(runId)) } : { backend, workers: null };

  routes.get("/workers", async (context) => send(context, api, await report()));

  routes.get("/runs/:id/workers", async (context) => {
    const id = context.req.param("id");
    await store.requireRun(id);
    return send(context, api, await report(id));
  });

  return routes;
}
