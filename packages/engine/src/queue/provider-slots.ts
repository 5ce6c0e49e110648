import type { ModelClient } from "@aflab/clients";
import type pg from "pg";

/**
 * A connection limit per provider shared by every worker on the database: a provider has `limit` slots,
 * and a call holds one as a session-level advisory lock on (provider, slot) for its duration. The server
 * drops a session's locks when its connection closes, so a killed worker's slots free themselves at once,
 * with no expiry to wait for. One connection holds all of this process's slots (advisory locks are
 * re-entrant within a session, so the process also tracks which slots it holds itself).
 */
export class ProviderSlots {
  private readonly client: Promise<pg.PoolClient>;
  private readonly held = new Map<string, Set<number>>();
  /** Acquisitions are serialised on the one connection; this queue keeps them in order. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    pool: pg.Pool,
    private readonly limitOf: (provider: string) => number,
    private readonly pollMs = 25,
  ) {
    this.client = pool.connect();
    this.client.catch(() => undefined);
  }

  /** Waits for a free slot of `provider` and returns its release. */
  async acquire(provider: string, signal?: AbortSignal): Promise<() => Promise<void>> {
    const limit = Math.max(1, this.limitOf(provider));
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error("cancelled");
      if (this.closed) throw new Error("provider slots closed");
      const slot = await this.serial(() => this.tryTake(provider, limit));
      if (slot !== undefined) {
        return () => this.serial(() => this.give(provider, slot));
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async tryTake(provider: string, limit: number): Promise<number | undefined> {
    const mine = this.held.get(provider) ?? new Set<number>();
    this.held.set(provider, mine);
    const free = Array.from({ length: limit }, (_, slot) => slot).filter((slot) => !mine.has(slot));
    if (free.length === 0) return undefined;
    const client = await this.client;
    // One round trip tries every slot this process does not hold, and keeps the first it gets.
    const { rows } = await client.query<{ slot: number }>(
      `SELECT slot FROM unnest($2::int[]) AS slot
       WHERE pg_try_advisory_lock(hashtext($1), slot) LIMIT 1`,
      [`aflab-provider:${provider}`, free],
    );
    const slot = rows[0]?.slot;
    if (slot !== undefined) mine.add(slot);
    return slot;
  }

  private async give(provider: string, slot: number): Promise<void> {
    this.held.get(provider)?.delete(slot);
    const client = await this.client;
    await client.query("SELECT pg_advisory_unlock(hashtext($1), $2)", [`aflab-provider:${provider}`, slot]);
  }

  /** Wraps `client` so that each call holds one of its provider's slots. */
  limit(client: ModelClient): ModelClient {
    const slots = this;
    return {
      id: client.id,
      provider: client.provider,
      simulated: client.simulated,
      supportsPrefill: client.supportsPrefill,
      ...(client.nativeReasoning === undefined ? {} : { nativeReasoning: client.nativeReasoning }),
      async generate(request) {
        const release = await slots.acquire(client.provider, request.signal);
        try {
          return await client.generate(request);
        } finally {
          await release();
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client.catch(() => undefined);
    // Releasing the connection ends the session's locks with it.
    client?.release(true);
  }
}
