import { NotFoundError, type ParaphraseDistribution, type ProbeCurve, type SweepList } from "@aflab/core";
import { paraphraseDistribution, probeCurve } from "@aflab/engine";
import type { Store } from "@aflab/store";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";
import { sweepListItem, sweepMatrix } from "../sweep-matrix.js";

/** The stored sweep, or a 404 (the engine's own "not found" is an input error, a 400). */
async function requireSweep(store: Store, id: string) {
  const sweep = await store.getSweep(id);
  if (!sweep) throw new NotFoundError(`sweep ${id} not found`);
  return sweep;
}

/**
 * `/sweeps`: every sweep with its progress, one sweep as a matrix of its cells' numbers, and the views
 * that belong to some sweeps: the distribution across a prompt set's paraphrases and a probe family's
 * curve. Those two are the engine's own computations from the stored runs, as `aflab paraphrase-report`
 * and `aflab curve` print them; a sweep of the other kind answers 400 naming why.
 */
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
    const sweep = await requireSweep(store, context.req.param("id"));
    return send(context, api, await sweepMatrix(store, api.jobs, sweep));
  });

  routes.get("/sweeps/:id/distribution", async (context) => {
    const sweep = await requireSweep(store, context.req.param("id"));
    return send(
      context,
      api,
      (await paraphraseDistribution(store, sweep.id)) satisfies ParaphraseDistribution,
    );
  });

  routes.get("/sweeps/:id/curve", async (context) => {
    const sweep = await requireSweep(store, context.req.param("id"));
    return send(context, api, (await probeCurve(store, sweep.id)) satisfies ProbeCurve);
  });

  return routes;
}
