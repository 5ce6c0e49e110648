/** A per-client cap on requests in flight; callers beyond it wait in a FIFO queue. */
export interface ConcurrencyLimiter {
  readonly limit: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /** Runs `task` once a slot is free and releases the slot when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * Creates a FIFO concurrency limiter. `limit` is a positive integer or `Infinity` (no limit).
 *
 * @example
 * const limiter = createConcurrencyLimiter(16);
 * await Promise.all(requests.map((request) => limiter.run(() => send(request))));
 */
export function createConcurrencyLimiter(limit: number): ConcurrencyLimiter {
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isInteger(limit) && limit > 0)))
    throw new RangeError(`concurrency limit must be a positive integer or Infinity, got ${limit}`);
  const queue: Array<() => void> = [];
  let active = 0;

  const release = () => {
    const next = queue.shift();
    // Hand the slot straight to the next waiter so a newcomer cannot jump the queue.
    if (next) next();
    else active -= 1;
  };

  return {
    limit,
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < limit) active += 1;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
