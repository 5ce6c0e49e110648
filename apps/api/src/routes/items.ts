import { type ItemDetail, NotFoundError } from "@aflab/core";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";

/** Most samples one query answers with: tiers × epochs stays far below this in any real run. */
const maxItemSamples = 200;

/** `/runs/:id/items/:itemId`: one query of a run in every tier and epoch, for the paired view. */
export function itemRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();

  routes.get("/runs/:id/items/:itemId", async (context) => {
    const id = context.req.param("id");
    const itemId = context.req.param("itemId");
    const run = await store.requireRun(id);
    const keys = (await store.itemSampleKeys(id, itemId)).slice(0, maxItemSamples);
    if (keys.length === 0) throw new NotFoundError(`query ${itemId} not found in run ${id}`);
    const samples: ItemDetail["samples"] = [];
    for (const key of keys) {
      const sample = await store.getSample(id, key);
      if (sample) samples.push({ sample, verdicts: await store.getVerdicts(id, key) });
    }
    return send(context, api, {
      run,
      itemId,
      query: samples[0]?.sample.query ?? "",
      samples,
      neighbours: await store.itemNeighbours(id, itemId),
    } satisfies ItemDetail);
  });

  return routes;
}
