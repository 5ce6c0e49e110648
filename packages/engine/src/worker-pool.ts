/**
 * Run `worker` over `source` with at most `concurrency` calls in flight. Items are pulled lazily, so a
 * million-item source costs no memory up front. Stops pulling when `signal` aborts or `shouldStop()`
 * says so; in-flight calls finish (they own their own cancellation).
 */
export async function runPool<Item>(
  source: Iterable<Item>,
  concurrency: number,
  worker: (item: Item) => Promise<void>,
  options: { signal?: AbortSignal; shouldStop?: () => boolean } = {},
): Promise<void> {
  const iterator = source[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const next = (): IteratorResult<Item> | undefined => {
    if (failure || options.signal?.aborted || options.shouldStop?.()) return undefined;
    return iterator.next();
  };
  const lane = async () => {
    for (let step = next(); step && !step.done; step = next()) {
      try {
        await worker(step.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failure) throw failure.error;
}
