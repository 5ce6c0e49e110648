import {
  type DeletedLabel,
  type HumanLabel,
  humanLabelFieldsSchema,
  type JudgedDecision,
  labelAgreement,
  labellerSchema,
  NotFoundError,
  parseOrThrow,
  type RunLabels,
  type SampleLabels,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, send } from "../api-context.js";

/** The verdicts of the labelled samples only: a run holds few labels, however many samples it has. */
async function verdictsOfLabelled(store: Store, runId: string, labels: readonly HumanLabel[]) {
  const verdicts: JudgedDecision[] = [];
  for (const key of new Set(labels.map((label) => label.sampleKey))) {
    verdicts.push(...(await store.getVerdicts(runId, key)));
  }
  return verdicts;
}

async function requireSample(store: Store, runId: string, key: string): Promise<void> {
  await store.requireRun(runId);
  if (!(await store.getSample(runId, key)))
    throw new NotFoundError(`sample ${key} not found in run ${runId}`);
}

async function sampleLabels(store: Store, runId: string, sampleKey: string): Promise<SampleLabels> {
  const labels = await store.getLabels(runId, sampleKey);
  return {
    runId,
    sampleKey,
    labels,
    agreement: labelAgreement(labels, await store.getVerdicts(runId, sampleKey)),
  };
}

/**
 * `/runs/:id/labels` and `/runs/:id/samples/:key/labels`: readers' labels of transcripts beside the judges'
 * verdicts. Anyone may read them; writing and deleting need the write token.
 */
export function labelRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store } = api;
  const routes = new Hono<ApiEnv>();

  routes.get("/runs/:id/labels", async (context) => {
    const runId = context.req.param("id");
    await store.requireRun(runId);
    const labels = await store.listLabels(runId);
    return send(context, api, {
      runId,
      labels,
      agreement: labelAgreement(labels, await verdictsOfLabelled(store, runId, labels)),
    } satisfies RunLabels);
  });

  routes.get("/runs/:id/samples/:key/labels", async (context) => {
    const runId = context.req.param("id");
    const sampleKey = context.req.param("key");
    await requireSample(store, runId, sampleKey);
    return send(context, api, await sampleLabels(store, runId, sampleKey));
  });

  routes.put("/runs/:id/samples/:key/labels", api.writeAccess, async (context) => {
    const runId = context.req.param("id");
    const sampleKey = context.req.param("key");
    // Validated before the sample is looked up, so a bad body is a 400 whatever the address.
    const fields = parseOrThrow(humanLabelFieldsSchema, context.get("body"), "label");
    await requireSample(store, runId, sampleKey);
    await store.putLabel(runId, sampleKey, fields);
    return send(context, api, await sampleLabels(store, runId, sampleKey));
  });

  routes.delete("/runs/:id/samples/:key/labels/:labeller", api.writeAccess, async (context) => {
    const runId = context.req.param("id");
    const sampleKey = context.req.param("key");
    const labeller = parseOrThrow(labellerSchema, context.req.param("labeller"), "labeller");
    await requireSample(store, runId, sampleKey);
    if (!(await store.deleteLabel(runId, sampleKey, labeller))) {
      throw new NotFoundError(`no label by ${labeller} on sample ${sampleKey} of run ${runId}`);
    }
    return send(context, api, { runId, sampleKey, labeller, deleted: true } satisfies DeletedLabel);
  });

  return routes;
}
