/** Everything an async iterator yields, in order: for small listings (tests, short runs), never a whole big run. */
export async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}
