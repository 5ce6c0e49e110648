import { type CompareResult, parseOrThrow } from "@aflab/core";
import { compareRuns, summarizeRun } from "@aflab/engine";
import { Hono } from "hono";
import { z } from "zod";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";
import { searchOf, singleParams } from "../query-params.js";

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
    const runA = await store.requireRun(params.a);
    const runB = await store.requireRun(params.b);
    return send(context, api, {
      runA,
      runB,
      summaryA: await summarizeRun(store, params.a),
      summaryB: await summarizeRun(store, params.b),
      comparison: await compareRuns(store, params.a, params.b),
    } satisfies CompareResult);
  });
  return routes;
}
