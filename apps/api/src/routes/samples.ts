import { NotFoundError, type SampleDetail, type SamplePage } from "@aflab/core";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, responseText, send, sendText } from "../api-context.js";
import { searchOf } from "../query-params.js";
import { listSampleRows, sampleNeighbours } from "../sample-listing.js";
import { parseSampleParams } from "../sample-params.js";
import { stampedCache } from "../stamped-cache.js";

/** `/runs/:id/samples`: the filtered sample table and one transcript with its neighbours. */
export function sampleRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();

  routes.get("/runs/:id/samples", async (context) => {
    const id = context.req.param("id");
    await store.requireRun(id);
    const filters = parseSampleParams(searchOf(context));
    // Many readers of one table ask for the same pages: each is kept, as sent, until the run changes.
    const text = await stampedCache<string>(store, "sample-pages", 200).get(
      store,
      JSON.stringify([id, filters.query]),
      [id],
      async () => {
        const page = await listSampleRows(store, id, filters);
        return responseText(api, {
          ...page,
          limit: filters.query.limit ?? 50,
          offset: filters.query.offset ?? 0,
        } satisfies SamplePage);
      },
    );
    return sendText(context, text);
  });

  routes.get("/runs/:id/samples/:key", async (context) => {
    const id = context.req.param("id");
    const key = context.req.param("key");
    await store.requireRun(id);
    const filters = parseSampleParams(searchOf(context));
    const sample = await store.getSample(id, key);
    if (!sample) throw new NotFoundError(`sample ${key} not found in run ${id}`);
    return send(context, api, {
      sample,
      verdicts: await store.getVerdicts(id, key),
      systemPrompt: (await store.getSystemPrompt(sample.systemPromptHash)) ?? null,
      neighbours: await sampleNeighbours(store, id, key, filters),
    } satisfies SampleDetail);
  });

  return routes;
}
