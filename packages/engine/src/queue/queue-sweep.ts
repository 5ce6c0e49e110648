import type { Store } from "@aflab/store";
import { newRunId } from "../keys.js";
import type { PrepareOptions } from "../prepare-run.js";
import { cellRunId, prepareSweep, type SweepConfigInput } from "../sweep.js";
import { queueRun } from "./queue-run.js";
import type { SampleQueue } from "./sample-queue.js";

/**
 * Writes a sweep and every cell's run, and enqueues all their samples for workers: the sweep's cells run
 * side by side on however many workers there are, each cell still one run with one report.
 */
export async function queueSweep(
  input: SweepConfigInput,
  options: PrepareOptions & { store: Store; queue: SampleQueue; leaseSeconds?: number },
): Promise<{ sweepId: string; runs: { runId: string; queued: number }[] }> {
  const { cells } = await prepareSweep(input, options);
  const sweepId = `sweep-${newRunId()}`;
  await options.store.createSweep({ id: sweepId, config: input, createdAt: new Date().toISOString() });
  const runs: { runId: string; queued: number }[] = [];
  for (const { cell, prepared } of cells) {
    runs.push(
      await queueRun(prepared, {
        store: options.store,
        queue: options.queue,
        runId: cellRunId(sweepId, cell),
        sweepId,
        ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
      }),
    );
  }
  return { sweepId, runs };
}
