import { ApiError } from "../api-error.js";

/** How many event streams the server holds open. */
export interface EventStreamLimits {
  /** Streams one client address may hold open at once (default 32). */
  perClient: number;
  /** Streams all clients together may hold open (default 512). */
  total: number;
}

export const defaultEventStreamLimits: EventStreamLimits = { perClient: 32, total: 512 };

/** A stream that ends soon frees its slot; a client refused one may look again after this long. */
const retrySeconds = 5;

/**
 * Caps on open event streams, so that pages left open cannot pile up connections (each also holds its
 * response and a subscription). Past a cap a new stream is refused with 429, a JSON error body and
 * `retry-after`; the slot is freed when the stream closes.
 */
export class EventStreamLimiter {
  readonly #limits: EventStreamLimits;
  readonly #byClient = new Map<string, number>();
  #total = 0;

  constructor(limits: EventStreamLimits) {
    this.#limits = limits;
  }

  get open(): number {
    return this.#total;
  }

  /** Takes a slot for `client`, or throws TOO_MANY_REQUESTS; call the returned function once the stream closes. */
  acquire(client: string): () => void {
    const held = this.#byClient.get(client) ?? 0;
    if (held >= this.#limits.perClient) {
      throw new ApiError(
        "TOO_MANY_REQUESTS",
        `this client already has ${held} event streams open (at most ${this.#limits.perClient}); close some first`,
        { "retry-after": String(retrySeconds) },
      );
    }
    if (this.#total >= this.#limits.total) {
      throw new ApiError(
        "TOO_MANY_REQUESTS",
        `the server has ${this.#total} event streams open (at most ${this.#limits.total}); try again later`,
        { "retry-after": String(retrySeconds) },
      );
    }
    this.#byClient.set(client, held + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#byClient.get(client) ?? 1) - 1;
      if (left > 0) this.#byClient.set(client, left);
      else this.#byClient.delete(client);
    };
  }
}
