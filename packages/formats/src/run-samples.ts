import type { Sample } from "@aflab/core";
import type { Store } from "@aflab/store";

/**
 * A run's samples in index order, for an export. With `withTurns`, each sample is read whole as the export
 * reaches it, from the run's list of keys, rather than from the store's pages: a page (hundreds of samples,
 * several MiB with their transcripts) lives while its rows are written, long enough for the collector to
 * move it to the old generation, which then grows to a multiple of what is alive before it is swept. Only
 * reading the pages cost about 200 MiB of peak memory on a 100,000-sample run; the keys cost a few MiB,
 * and a sample read on its own dies young. It is one more read per sample, as its verdicts already are.
 */
export async function* runSamples(
  store: Store,
  runId: string,
  options: { withTurns: boolean },
): AsyncGenerator<Sample> {
  if (!options.withTurns) {
    yield* store.iterateSamples(runId, { withTurns: false });
    return;
  }
  for (const key of await store.sampleKeys(runId)) {
    const sample = await store.getSample(runId, key);
    if (!sample) throw new Error(`sample ${key} of run ${runId} was deleted while it was exported`);
    yield sample;
  }
}
