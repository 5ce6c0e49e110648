import { randomBytes } from "node:crypto";
import type {
  BatchApi,
  BatchItem,
  BatchItemResult,
  BatchStatus,
  GenerateRequest,
  GenerateResult,
  ModelClient,
} from "@aflab/clients";
import { AflabError, InputError, ProviderError, type RunEvent } from "@aflab/core";
import type { RunBatch, Store } from "@aflab/store";
import type { SamplePlan } from "./expand.js";
import { type GeneratedSample, type GenerationSettings, generateSample } from "./generate-sample.js";

/**
 * The batch execution strategy: the model under test is asked through its provider's batch API instead of
 * live calls. The multi-turn protocol runs as successive batch rounds; judges are asked live as each sample
 * is stored (as in a live run).
 *
 * Nothing is lost or paid twice across a crash (`kill -9` at any point):
 * - a batch and its custom ids are written to the store (`submitting`) before it is submitted, and its
 *   provider id right after; resume reconnects to every batch in flight and never submits its requests again;
 * - a batch left `submitting` (the process died during submission) is looked for among the provider's recent
 *   batches: one created since, not recorded by any batch in the store, with as many requests. Found, it is
 *   adopted (its results are later checked to carry its custom ids); not found, it never reached the
 *   provider and its requests are released; several candidates stop the run with their ids, to resolve
 *   by hand (`aflab batches --cancel`). A request that succeeded is thus never submitted again;
 * - a succeeded request's reply is stored before its sample: a crash in between finishes the sample from
 *   it on resume, and a later round is built from it;
 * - `errored`, `expired` and `canceled` results become errored samples, which resume asks again.
 */
export interface BatchRunContext {
  runId: string;
  model: ModelClient;
  store: Store;
  signal: AbortSignal;
  /** The samples still to make when the run started (or resumed). */
  plans: readonly SamplePlan[];
  settingsFor: (plan: SamplePlan) => Omit<GenerationSettings, "signal">;
  /** Stores (and classifies) a finished sample. */
  finish: (plan: SamplePlan, generated: GeneratedSample, startedAt: string) => Promise<void>;
  /** Stores a sample whose request errored, expired or was canceled: resume asks it again. */
  fail: (plan: SamplePlan, startedAt: string, error: unknown) => Promise<void>;
  /** Resolves once every sample handed to `finish` is stored. */
  flush: () => Promise<void>;
  emit: (event: RunEvent) => void;
  /** Between two polls of a batch in progress. */
  pollMs: number;
  /** At most this many requests and bytes per batch (below the provider's own limits): bounds memory. */
  maxRequestsPerBatch: number;
  maxBytesPerBatch: number;
}

/** The request generateSample would send next, thrown by the replaying client. */
class NextRequest {
  constructor(
    readonly request: GenerateRequest,
    readonly round: number,
  ) {}
}

/**
 * Replays a sample's conversation on its stored replies: the finished sample when every round has its
 * reply, else the request of the next round. The transcript is built by `generateSample` itself, so a
 * batch run's samples are those a live run makes from the same replies.
 */
async function advance(
  model: ModelClient,
  settings: Omit<GenerationSettings, "signal">,
  replies: readonly GenerateResult[],
): Promise<{ done: GeneratedSample } | { next: NextRequest }> {
  let round = 0;
  const replay: ModelClient = {
    id: model.id,
    provider: model.provider,
    simulated: model.simulated,
    supportsPrefill: model.supportsPrefill,
    async generate(request) {
      const reply = replies[round];
      if (reply === undefined) throw new NextRequest({ ...request, signal: undefined }, round);
      round++;
      return reply;
    },
  };
  try {
    return { done: await generateSample(replay, settings) };
  } catch (error) {
    if (error instanceof NextRequest) return { next: error };
    throw error;
  }
}

const totalOf = (status: BatchStatus) =>
  status.counts.processing +
  status.counts.succeeded +
  status.counts.errored +
  status.counts.canceled +
  status.counts.expired;

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, milliseconds);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export function requireBatchApi(model: ModelClient): BatchApi {
  if (!model.batches)
    throw new InputError(
      `--batch: ${model.id} has no batch API here (batches go through Anthropic Message Batches or the OpenAI Batch API): run it live`,
      { field: "batch" },
    );
  return model.batches;
}

/** Runs the pending samples through the batch API, round by round, until each is stored or errored. */
export async function runBatches(context: BatchRunContext): Promise<void> {
  const { store, runId, signal, model } = context;
  const api = requireBatchApi(model);
  const planByKey = new Map(context.plans.map((plan) => [plan.key, plan]));
  const startedAt = new Map<string, string>();
  const erroredHere = new Set<string>();
  const started = (key: string) => {
    let at = startedAt.get(key);
    if (!at) {
      at = new Date().toISOString();
      startedAt.set(key, at);
    }
    return at;
  };

  const emitBatch = (batch: RunBatch, status?: BatchStatus) =>
    context.emit({
      type: "batch",
      runId,
      batchId: batch.id,
      providerBatchId: status?.providerBatchId ?? batch.providerBatchId,
      state: status?.state ?? batch.state,
      requests: batch.requestCount,
      counts: status?.counts ?? batch.counts,
    });

  /** The replies already paid for, by sample key, indexed by round. */
  const loadReplies = async (): Promise<Map<string, GenerateResult[]>> => {
    const replies = new Map<string, GenerateResult[]>();
    for (const request of await store.succeededBatchRequests(runId)) {
      if (request.reply === null) continue;
      const list = replies.get(request.sampleKey) ?? [];
      list[request.round] = JSON.parse(request.reply) as GenerateResult;
      replies.set(request.sampleKey, list);
    }
    return replies;
  };

  // A batch the previous process was submitting when it died: adopt it if the provider has it, else release it.
  const resolveSubmitting = async (batch: RunBatch): Promise<"adopted" | "abandoned"> => {
    const recorded = new Set(
      (await store.listBatches()).flatMap((entry) => (entry.providerBatchId ? [entry.providerBatchId] : [])),
    );
    const since = Date.parse(batch.createdAt) - 60_000;
    // A provider that keeps the run's batch id with the batch (OpenAI's metadata) names it; else it is
    // recognised by its time and size.
    const candidates = (await api.listRecent(100)).filter((status) =>
      status.label !== undefined
        ? status.label === batch.id
        : !recorded.has(status.providerBatchId) &&
          Date.parse(status.createdAt) >= since &&
          totalOf(status) === batch.requestCount,
    );
    if (candidates.length === 0) {
      await store.updateBatch(batch.id, { state: "abandoned" });
      emitBatch({ ...batch, state: "abandoned" });
      return "abandoned";
    }
    if (candidates.length > 1)
      throw new AflabError(
        "internal",
        `batch ${batch.id} was being submitted when its process stopped, and ${candidates.length} provider batches could be it ` +
          `(${candidates.map((status) => status.providerBatchId).join(", ")}): cancel the ones that are not this run's at the provider, then resume`,
      );
    const [found] = candidates;
    if (found) await store.recordBatchSubmitted(batch.id, found.providerBatchId);
    return "adopted";
  };

  const submit = async (entries: Array<{ plan: SamplePlan; next: NextRequest }>) => {
    for (let attempt = 1; ; attempt++) {
      const id = `b${randomBytes(6).toString("hex")}`;
      const items: BatchItem[] = entries.map((entry, index) => ({
        customId: `${id}_${index}`,
        request: entry.next.request,
      }));
      const batch = await store.createBatch(
        {
          id,
          runId,
          provider: api.provider,
          modelId: model.id,
          round: Math.max(...entries.map((entry) => entry.next.round)),
          createdAt: new Date().toISOString(),
        },
        entries.map((entry, index) => ({
          customId: `${id}_${index}`,
          sampleKey: entry.plan.key,
          round: entry.next.round,
        })),
      );
      let status: BatchStatus;
      try {
        // Not cancellable: a submission cut short would leave it unknown whether the provider has the batch.
        status = await api.submit(items, id);
      } catch (error) {
        // An HTTP answer means the provider refused it: nothing was submitted.
        if (error instanceof Error && "status" in error && typeof error.status === "number") {
          await store.updateBatch(id, { state: "abandoned" });
          throw error;
        }
        // Without an answer (a dropped connection) it is unknown: the batch is looked for as resume would,
        // adopted if the provider has it, else submitted again under new custom ids.
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        if ((await resolveSubmitting(batch)) === "adopted") return;
        continue;
      }
      await store.recordBatchSubmitted(id, status.providerBatchId);
      emitBatch({ ...batch, providerBatchId: status.providerBatchId, state: "in_progress" }, status);
      return;
    }
  };

  /** Reads an ended batch's results into the store: each reply before its sample. */
  const ingest = async (batch: RunBatch, replies: Map<string, GenerateResult[]>) => {
    const requests = new Map(
      (await store.batchRequests(batch.id)).map((request) => [request.customId, request]),
    );
    const requestOf = (customId: string) => {
      const entry = requests.get(customId);
      const plan = entry && planByKey.get(entry.sampleKey);
      if (!entry || !plan) return undefined;
      return requestCache.get(customId);
    };
    // The requests of this batch, rebuilt from the replies of earlier rounds (how each reply is read
    // depends on the request's prefill).
    const requestCache = new Map<string, GenerateRequest>();
    for (const [customId, entry] of requests) {
      const plan = planByKey.get(entry.sampleKey);
      if (!plan || entry.state !== "submitted") continue;
      const step = await advance(
        model,
        context.settingsFor(plan),
        (replies.get(entry.sampleKey) ?? []).slice(0, entry.round),
      );
      if ("next" in step) requestCache.set(customId, step.next.request);
    }
    if (!batch.providerBatchId) return;
    // Results are recorded a page at a time (one write each), then their samples are made: a reply is
    // in the store before its sample, so a crash between the two loses nothing.
    let page: BatchItemResult[] = [];
    const seen = new Set<string>();
    const handlePage = async () => {
      const fresh = page.filter((result) => {
        const entry = requests.get(result.customId);
        if (!entry)
          throw new AflabError(
            "internal",
            `provider batch ${batch.providerBatchId} holds custom id ${result.customId}, none of batch ${batch.id}'s: it is not this run's batch`,
          );
        return entry.state === "submitted" && planByKey.has(entry.sampleKey);
      });
      page = [];
      await store.settleBatchRequests(
        fresh.map((result) =>
          result.type === "succeeded"
            ? {
                customId: result.customId,
                state: "succeeded" as const,
                costUsd: result.result.costUsd,
                reply: JSON.stringify(result.result),
              }
            : { customId: result.customId, state: result.type, costUsd: null, reply: null },
        ),
      );
      for (const result of fresh) {
        const entry = requests.get(result.customId);
        const plan = entry && planByKey.get(entry.sampleKey);
        if (!entry || !plan) continue;
        if (result.type === "succeeded") {
          const list = replies.get(entry.sampleKey) ?? [];
          list[entry.round] = result.result;
          replies.set(entry.sampleKey, list);
          const step = await advance(model, context.settingsFor(plan), list);
          if ("done" in step) {
            replies.delete(entry.sampleKey);
            await context.finish(plan, step.done, started(plan.key));
          }
        } else {
          replies.delete(entry.sampleKey);
          erroredHere.add(plan.key);
          await context.fail(
            plan,
            started(plan.key),
            new ProviderError(`batch request ${result.customId} ${result.type}: ${result.message}`, {
              provider: api.provider,
              isRetryable: true,
            }),
          );
        }
      }
    };
    for await (const result of api.results(batch.providerBatchId, requestOf, signal)) {
      seen.add(result.customId);
      page.push(result);
      if (page.length >= 200) await handlePage();
    }
    // A stream cut short by the signal is no reason to think results are missing.
    if (signal.aborted) {
      await handlePage();
      return;
    }
    // A request the ended batch gives no result for (an OpenAI batch that failed validation has no
    // files) is errored, so that resume asks it again.
    for (const [customId, entry] of requests) {
      if (seen.has(customId) || entry.state !== "submitted") continue;
      page.push({
        customId,
        type: "errored",
        message: `provider batch ${batch.providerBatchId} ended without a result for it`,
      });
      if (page.length >= 200) await handlePage();
    }
    await handlePage();
    await store.updateBatch(batch.id, { state: "done" });
    emitBatch({ ...batch, state: "done" });
  };

  /** Polls the run's batches in flight and ingests each as it ends; returns when none is left. */
  const drain = async (replies: Map<string, GenerateResult[]>) => {
    for (;;) {
      if (signal.aborted) return;
      const open = (await store.listBatches(runId)).filter(
        (batch) => batch.state === "in_progress" || batch.state === "ended",
      );
      if (open.length === 0) return;
      let waiting = false;
      for (const batch of open) {
        if (signal.aborted) return;
        if (batch.state === "in_progress" && batch.providerBatchId) {
          const status = await api.retrieve(batch.providerBatchId, signal);
          await store.updateBatch(batch.id, { counts: status.counts });
          emitBatch(batch, status);
          if (status.state !== "ended") {
            waiting = true;
            continue;
          }
          await store.updateBatch(batch.id, { state: "ended", endedAt: new Date().toISOString() });
        }
        await ingest(batch, replies);
      }
      if (waiting) await sleep(context.pollMs, signal);
    }
  };

  for (;;) {
    if (signal.aborted) return;
    for (const batch of await store.listBatches(runId))
      if (batch.state === "submitting") await resolveSubmitting(batch);
    const replies = await loadReplies();
    await drain(replies);
    await context.flush();
    if (signal.aborted) return;

    // What each unfinished sample needs next: nothing (it can be stored from its replies) or a request.
    // Requests go out in chunks as they are made, split at the provider's limits and ours (requests and
    // bytes), so memory holds one batch's requests, whatever the run's size.
    const finished = await store.finishedSampleKeys(runId);
    const inFlight = await store.sampleKeysInBatches(runId);
    const byteLimit = Math.min(api.limits.bytes - 1024 * 1024, context.maxBytesPerBatch);
    const requestLimit = Math.min(api.limits.requests, context.maxRequestsPerBatch);
    let chunk: Array<{ plan: SamplePlan; next: NextRequest }> = [];
    let bytes = 0;
    let submitted = 0;
    for (const plan of context.plans) {
      if (signal.aborted) return;
      if (finished.has(plan.key) || inFlight.has(plan.key) || erroredHere.has(plan.key)) continue;
      const step = await advance(model, context.settingsFor(plan), replies.get(plan.key) ?? []);
      if ("done" in step) {
        await context.finish(plan, step.done, started(plan.key));
        continue;
      }
      const size = api.requestBytes({ customId: "b000000000000_000000", request: step.next.request });
      if (chunk.length > 0 && (chunk.length >= requestLimit || bytes + size > byteLimit)) {
        await submit(chunk);
        submitted += chunk.length;
        chunk = [];
        bytes = 0;
      }
      chunk.push({ plan, next: step.next });
      bytes += size;
    }
    if (chunk.length > 0) await submit(chunk);
    submitted += chunk.length;
    if (submitted === 0) return;
  }
}
