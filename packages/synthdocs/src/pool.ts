/** Run `worker` over `items` with at most `concurrency` in flight; resolves when all have settled. */
export async function runPool<Item>(
  items: readonly Item[],
  concurrency: number,
  worker: (item: Item) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next] as Item;
      next += 1;
      await worker(item);
    }
  });
  await Promise.all(lanes);
}
