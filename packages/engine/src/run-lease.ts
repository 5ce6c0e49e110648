import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { AflabError, describeError, InputError } from "@aflab/core";
import type { RunLease, Store } from "@aflab/store";

export interface RunLeaseOptions {
  /** Queue behind a live owner instead of refusing (polls until its lease is released or expires). */
  waitForLease?: boolean;
  /** How long a lease lasts without renewal (default 30 s); it is renewed every third of that. */
  leaseTtlMs?: number;
}

const defaultTtlMs = 30_000;
/** How often the store file is checked to still be the one opened. */
const fileCheckEveryMs = 1000;

/** The lease this process holds on a run while it executes it. */
export interface HeldLease {
  /** Stops renewing and gives the lease up. */
  release(): Promise<void>;
}

/** Whether the holder is a process of this machine that no longer exists (killed without releasing). */
function holderIsDead(holder: RunLease): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function describeHolder(runId: string, holder: RunLease): string {
  return `run ${runId} is being run by pid ${holder.pid}@${holder.host} since ${holder.acquiredAt}: pass --wait to queue behind it, or stop that process`;
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Takes the run's lease for this process, or refuses with one line naming the owner (pid@host and
 * since when). The lease is renewed while the run executes, and every second the store file is
 * checked to still be the one opened; `onLost` hears when either fails, so the run stops instead of reporting
 * work that another owner or a vanished file makes untrue.
 */
export async function holdRunLease(
  store: Store,
  runId: string,
  options: RunLeaseOptions & { signal?: AbortSignal | undefined; onLost: (error: AflabError) => void },
): Promise<HeldLease> {
  const ttlMs = options.leaseTtlMs ?? defaultTtlMs;
  const claim = { owner: randomUUID(), pid: process.pid, host: hostname(), ttlMs };
  for (;;) {
    const result = await store.acquireRunLease(runId, { ...claim, now: Date.now() });
    if (result.acquired) break;
    if (holderIsDead(result.holder)) {
      // Its process is gone: the lease is stale even though it has not expired yet.
      await store.releaseRunLease(runId, result.holder.owner);
      continue;
    }
    if (!options.waitForLease)
      throw new InputError(describeHolder(runId, result.holder), { field: "resume" });
    if (options.signal?.aborted)
      throw new AflabError("aborted", "cancelled while waiting for the run's lease");
    await sleep(Math.min(1000, Math.max(50, ttlMs / 10)), options.signal);
  }
  let lost = false;
  let renewedAt = Date.now();
  const renewEveryMs = ttlMs / 3;
  // The file is checked every tick (a stat, cheap); the lease is written only every third of its life.
  const loseWith = (error: AflabError) => {
    lost = true;
    options.onLost(error);
  };
  const tick = async () => {
    if (lost) return;
    try {
      await store.checkFile();
    } catch (error) {
      loseWith(
        error instanceof AflabError
          ? error
          : new AflabError("internal", describeError(error), { cause: error }),
      );
      return;
    }
    if (Date.now() - renewedAt < renewEveryMs) return;
    const now = Date.now();
    let renewed: boolean;
    try {
      renewed = await store.renewRunLease(runId, claim.owner, ttlMs, now);
    } catch {
      // A busy database: the next tick tries again, long before the lease expires.
      return;
    }
    if (renewed) {
      renewedAt = now;
      return;
    }
    loseWith(
      new AflabError(
        "internal",
        `run ${runId}: this process lost its lease (it was not renewed in time and another process took the run over)`,
      ),
    );
  };
  const timer = setInterval(
    () => void tick(),
    Math.max(10, Math.min(fileCheckEveryMs, Math.floor(renewEveryMs))),
  );
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      if (lost) return;
      try {
        await store.releaseRunLease(runId, claim.owner);
      } catch {
        // The store may be gone (that is reported by the file check); an unreleased lease expires anyway.
      }
    },
  };
}
