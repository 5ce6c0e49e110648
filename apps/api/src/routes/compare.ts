import { type CompareResult, parseOrThrow } from "@aflab/core";
import { compareRuns, summarizeRun } from "@aflab/engine";
import { Hono } from "hono";
import { z } from "zod";
import { type ApiContext, type ApiEnv, responseText, sendText } from "../api-context.js";
import { searchOf, singleParams } from "../query-params.js";
import { stampedCache } from "../stamped-cache.js";

const compareParamsSchema = z.strictObject({
  a: z.string().min(1, "expected a run id"),
  b: z.string().min(1, "expected a run id"),
});

/** `/compare?a=&b=`: two runs over the same queries, paired. */
export function compareRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();
  routes.get("/compare", async (context) => {
    const params = parseOrThrow(compareParamsSchema, singleParams(searchOf(context)), "compare query");
    await store.requireRun(params.a);
    await store.requireRun(params.b);
    // Pairing two large runs reads every sample of both: the answer is kept, as sent, until either run changes.
    const text = await stampedCache<string>(store, "compare").get(
      store,
      JSON.stringify([params.a, params.b]),
      [params.a, params.b],
      async () =>
        responseText(api, {
          runA: await store.requireRun(params.a),
          runB: await store.requireRun(params.b),
          summaryA: await summarizeRun(store, params.a),
          summaryB: await summarizeRun(store, params.b),
          comparison: await compareRuns(store, params.a, params.b),
        } satisfies CompareResult),
    );
    return sendText(context, text);
  });
  return routes;
}
