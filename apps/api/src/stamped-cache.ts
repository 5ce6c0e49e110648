import type { Store } from "@aflab/store";

interface Entry<Value> {
  stamps: string;
  at: number;
  value: Promise<Value>;
}

/**
 * Values computed from whole runs (a report, a paired comparison), kept until one of their runs' change
 * stamps moves or the entry ages out. Requests that arrive while a value is being computed share that
 * computation, so twenty readers of a large run cost one report, not twenty.
 */
export class StampedCache<Value> {
  readonly #entries = new Map<string, Entry<Value>>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: { maxEntries: number; maxAgeMs: number; now?: () => number }) {
    this.#maxEntries = options.maxEntries;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  async get(store: Store, key: string, runIds: string[], compute: () => Promise<Value>): Promise<Value> {
    const stamps = (await Promise.all(runIds.map((id) => store.runChangeStamp(id)))).join("\n");
    const cached = this.#entries.get(key);
    if (cached && cached.stamps === stamps && this.#now() - cached.at < this.#maxAgeMs) return cached.value;
    const value = compute();
    this.#entries.delete(key);
    this.#entries.set(key, { stamps, at: this.#now(), value });
    // A failed computation is not kept: the next request tries again.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return value;
  }
}

const caches = new WeakMap<Store, Map<string, StampedCache<unknown>>>();

/** The cache named `name` of a store, shared by every app over it. */
export function stampedCache<Value>(store: Store, name: string, maxEntries = 200): StampedCache<Value> {
  let byName = caches.get(store);
  if (!byName) {
    byName = new Map();
    caches.set(store, byName);
  }
  let cache = byName.get(name);
  if (!cache) {
    cache = new StampedCache<unknown>({ maxEntries, maxAgeMs: 60_000 });
    byName.set(name, cache);
  }
  return cache as StampedCache<Value>;
}
