import { isDeepStrictEqual } from "node:util";
import type { Run, Sample, Verdict } from "@aflab/core";
import type { Store } from "./types.js";

export interface CopyProgress {
  /** The run being copied, its position and the number of runs. */
  runId: string;
  run: number;
  runs: number;
  /** Samples of this run looked at so far, and the run's sample count. */
  samples: number;
  runSamples: number;
}

export interface CopySummary {
  runs: number;
  /** Runs created in the target, or brought up to date there. */
  runsCreated: number;
  runsUpdated: number;
  /** Runs already equal in both stores: nothing was written for them. */
  runsUnchanged: number;
  samplesWritten: number;
  verdictsWritten: number;
  sweepsCreated: number;
}

export interface CopyOptions {
  /** Called after each page of samples and once per run. */
  onProgress?: (progress: CopyProgress) => void;
  /** Samples written per transaction. */
  batchSize?: number;
}

const RUN_PAGE = 100;

/**
 * Copies every run (with its sweep, system prompts, samples, turns and verdicts) from `from` to `to`,
 * through the `Store` interface only, so any two backends work (a laptop's SQLite file into the team's
 * PostgreSQL, and back). Idempotent: what is already equal in the target is left alone, so a second copy
 * writes nothing. A run already in the target is brought in line with the source (its record updated,
 * differing samples and verdicts replaced; samples only the target has are kept). A run whose record and
 * change stamp are equal in both stores is taken as copied without reading its samples. Not copied: staged
 * verdicts of a replacement still in progress, run leases (they belong to live processes) and the response
 * cache.
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<CopySummary> {
  const batchSize = options.batchSize ?? 500;
  const summary: CopySummary = {
    runs: 0,
    runsCreated: 0,
    runsUpdated: 0,
    runsUnchanged: 0,
    samplesWritten: 0,
    verdictsWritten: 0,
    sweepsCreated: 0,
  };
  const runIds: string[] = [];
  for (let offset = 0; ; offset += RUN_PAGE) {
    const page = await from.listRuns({ limit: RUN_PAGE, offset });
    runIds.push(...page.runs.map((run) => run.id));
    if (page.runs.length < RUN_PAGE) break;
  }
  // Oldest first, so the target lists them in the same order as the source.
  runIds.reverse();
  summary.runs = runIds.length;
  const prompts = new Set<string>();
  const copyPrompt = async (hash: string) => {
    if (prompts.has(hash)) return;
    prompts.add(hash);
    const text = await from.getSystemPrompt(hash);
    if (text !== undefined && (await to.getSystemPrompt(hash)) === undefined)
      await to.putSystemPrompt(hash, text);
  };

  for (const [position, runId] of runIds.entries()) {
    const run = await from.requireRun(runId);
    const progress = await from.progress(runId);
    const counted = progress.complete + progress.failed + progress.errored;
    const report = (samples: number) =>
      options.onProgress?.({ runId, run: position + 1, runs: runIds.length, samples, runSamples: counted });
    if (run.sweepId !== null && (await to.getSweep(run.sweepId)) === undefined) {
      const sweep = await from.getSweep(run.sweepId);
      if (sweep) {
        await to.createSweep(sweep);
        summary.sweepsCreated += 1;
      }
    }
    await copyPrompt(run.promptHash);
    const existing = await to.getRun(runId);
    if (!existing) {
      await to.createRun(run);
      summary.runsCreated += 1;
      await copyFresh(from, to, run, batchSize, summary, copyPrompt, report);
    } else if (
      sameRun(existing, run) &&
      (await from.runChangeStamp(runId)) === (await to.runChangeStamp(runId))
    ) {
      summary.runsUnchanged += 1;
    } else {
      const before = summary.samplesWritten + summary.verdictsWritten;
      if (!sameRun(existing, run)) {
        await to.updateRun(runId, {
          status: run.status,
          error: run.error,
          total: run.total,
          config: run.config,
        });
      }
      await copyDifferences(from, to, run, summary, copyPrompt, report);
      if (!sameRun(existing, run) || summary.samplesWritten + summary.verdictsWritten > before) {
        summary.runsUpdated += 1;
      } else {
        summary.runsUnchanged += 1;
      }
    }
    report(counted);
  }
  return summary;
}

/** Equal but for `updatedAt`, which the target sets itself when a run is updated there. */
function sameRun(a: Run, b: Run): boolean {
  return isDeepStrictEqual({ ...a, updatedAt: "" }, { ...b, updatedAt: "" });
}

async function copyFresh(
  from: Store,
  to: Store,
  run: Run,
  batchSize: number,
  summary: CopySummary,
  copyPrompt: (hash: string) => Promise<void>,
  report: (samples: number) => void,
): Promise<void> {
  let samples: Sample[] = [];
  let seen = 0;
  const flush = async () => {
    if (samples.length === 0) return;
    await to.putSamples(samples);
    summary.samplesWritten += samples.length;
    const verdicts: Verdict[] = [];
    for (const sample of samples) verdicts.push(...(await from.getVerdicts(run.id, sample.key)));
    if (verdicts.length > 0) await to.putVerdicts(verdicts);
    summary.verdictsWritten += verdicts.length;
    samples = [];
    report(seen);
  };
  for await (const sample of from.iterateSamples(run.id)) {
    await copyPrompt(sample.systemPromptHash);
    samples.push(sample);
    seen += 1;
    if (samples.length >= batchSize) await flush();
  }
  await flush();
}

async function copyDifferences(
  from: Store,
  to: Store,
  run: Run,
  summary: CopySummary,
  copyPrompt: (hash: string) => Promise<void>,
  report: (samples: number) => void,
): Promise<void> {
  let seen = 0;
  for await (const sample of from.iterateSamples(run.id)) {
    seen += 1;
    await copyPrompt(sample.systemPromptHash);
    const target = await to.getSample(run.id, sample.key);
    const verdicts = await from.getVerdicts(run.id, sample.key);
    let targetVerdicts: Verdict[] = [];
    if (!isDeepStrictEqual(target, sample)) {
      // Replacing a sample drops the verdicts that judged the old one: all of the source's go in again.
      await to.putSample(sample);
      summary.samplesWritten += 1;
    } else {
      targetVerdicts = await to.getVerdicts(run.id, sample.key);
    }
    const changed = verdicts.filter(
      (verdict) =>
        !targetVerdicts.some(
          (other) => other.classifier === verdict.classifier && isDeepStrictEqual(other, verdict),
        ),
    );
    if (changed.length > 0) {
      await to.putVerdicts(changed);
      summary.verdictsWritten += changed.length;
    }
    if (seen % 500 === 0) report(seen);
  }
}
