import { AflabError } from "@aflab/core";

/** A per-client cap on requests in flight; callers beyond it wait in a FIFO queue. */
export interface ConcurrencyLimiter {
  readonly limit: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly waiting: number;
  /**
   * Runs `task` once a slot is free and releases the slot when it settles. When `signal` aborts while the
   * task is still waiting, it leaves the queue and the promise rejects with an `aborted` error at once.
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
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

  // A cancelled caller must not wait for a slot it will never use (the holders may be slow or stalled),
  // and must not stay queued: it would be handed a slot later and hold the queue up.
  const waitForSlot = (signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const position = queue.indexOf(grant);
        if (position >= 0) queue.splice(position, 1);
        reject(abortedWhileWaiting());
      };
      queue.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  return {
    limit,
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) throw abortedWhileWaiting();
      if (active < limit) active += 1;
      else await waitForSlot(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

function abortedWhileWaiting(): AflabError {
  return new AflabError("aborted", "the request was cancelled while waiting for a connection slot");
}
