import { scrubSecrets } from "@aflab/core";
import type { Store } from "@aflab/store";
import { expandSamples } from "../expand.js";
import { newRunId } from "../keys.js";
import type { PreparedRun } from "../prepare-run.js";
import { knownSecrets } from "../redact.js";
import type { SampleQueue } from "./sample-queue.js";

export interface QueueRunOptions {
  store: Store;
  queue: SampleQueue;
  runId?: string;
  sweepId?: string;
  /** How long a worker may hold one sample before another may take it over (seconds). */
  leaseSeconds?: number;
  secrets?: readonly string[];
}

/**
 * Writes a prepared run (status `running`) and enqueues one job per sample, for workers to drain
 * (`runQueueWorker`). Nothing is generated here; the run completes when its last job does.
 */
export async function queueRun(
  prepared: PreparedRun,
  options: QueueRunOptions,
): Promise<{ runId: string; queued: number }> {
  const runId = options.runId ?? newRunId();
  const { store } = options;
  await store.putSystemPrompt(
    prepared.promptHash,
    scrubSecrets(prepared.system, knownSecrets(options.secrets)),
  );
  await store.createRun({
    id: runId,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    status: "running",
    config: prepared.config,
    simulated: prepared.model.simulated || (prepared.judge?.simulated ?? false),
    promptHash: prepared.promptHash,
    total: prepared.total,
    sweepId: options.sweepId ?? null,
    error: null,
  });
  const keys = function* () {
    for (const plan of expandSamples({
      items: prepared.items,
      tiers: prepared.tiers,
      epochs: prepared.config.epochs,
      variants: prepared.config.variants,
      model: prepared.config.model,
      promptHash: prepared.promptHash,
    }))
      yield plan.key;
  };
  const queued = await options.queue.enqueue(runId, keys(), options.leaseSeconds ?? 600);
  return { runId, queued };
}
