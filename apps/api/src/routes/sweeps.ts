import { NotFoundError, type SweepList } from "@aflab/core";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";
import { sweepListItem, sweepMatrix } from "../sweep-matrix.js";

/** `/sweeps`: every sweep with its progress, and one sweep as a matrix of its cells' numbers. */
export function sweepRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();

  routes.get("/sweeps", async (context) => {
    const sweeps = await store.listSweeps();
    const items: SweepList["sweeps"] = [];
    for (const sweep of sweeps.slice(0, 200)) items.push(await sweepListItem(store, sweep));
    return send(context, api, { sweeps: items } satisfies SweepList);
  });

  routes.get("/sweeps/:id", async (context) => {
    const id = context.req.param("id");
    const sweep = await store.getSweep(id);
    if (!sweep) throw new NotFoundError(`sweep ${id} not found`);
    return send(context, api, await sweepMatrix(store, api.jobs, sweep));
  });

  return routes;
}
