import type { RetryEvent } from "@aflab/clients";
import { ProviderError } from "@aflab/core";

export interface CircuitBreakerOptions {
  /** Unreachable or overloaded answers in a row (across samples) that open the breaker (default 10). */
  threshold?: number;
  /** How long an open breaker waits for the provider to answer again before the run stops (default 60 s). */
  giveUpAfterMs?: number;
}

export const defaultCircuitBreaker = Object.freeze({ threshold: 10, giveUpAfterMs: 60_000 });

/** Statuses that say the provider is down or overloaded rather than that the request was wrong. */
const outageStatuses = new Set([502, 503, 504, 529]);

/** True for an attempt that got no HTTP answer at all, or a gateway / overloaded one. */
export function isOutageStatus(status: number | undefined): boolean {
  return status === undefined || outageStatuses.has(status);
}

function lastAttemptError(error: ProviderError): ProviderError & { reason?: unknown } {
  return (error as ProviderError & { lastError?: ProviderError }).lastError ?? error;
}

/** True for a failed request whose last attempt met an outage. */
export function isOutageError(error: unknown): boolean {
  return error instanceof ProviderError && isOutageStatus(lastAttemptError(error).status);
}

/**
 * The short reason of a failed request's last attempt, worded as the retry events word theirs, so the
 * breaker names the outage the same way whether its last count came from a retry or a request that gave up.
 */
export function outageReason(error: ProviderError): string {
  const last = lastAttemptError(error);
  if (typeof last.reason === "string") return last.reason;
  return last.status === undefined ? "error" : `HTTP ${last.status}`;
}

export type Admission = "go" | "probe" | "stop";

/**
 * Stops a run from spending every remaining sample's retries on a provider that is gone. Closed, samples
 * start freely. After `threshold` outage answers in a row it opens: new samples wait, one at a time goes
 * as a probe, and the requests already in flight keep retrying. Any answer closes it again; when none
 * comes within `giveUpAfterMs` it gives up once (`onGiveUp`) and admits nothing more.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly giveUpAfterMs: number;
  private readonly onGiveUp: (message: string) => void;
  private outages = 0;
  private lastReason = "";
  private openedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private waiters: Array<() => void> = [];
  private givenUp = false;
  private disposed = false;

  constructor(options: CircuitBreakerOptions, onGiveUp: (message: string) => void) {
    this.threshold = options.threshold ?? defaultCircuitBreaker.threshold;
    this.giveUpAfterMs = options.giveUpAfterMs ?? defaultCircuitBreaker.giveUpAfterMs;
    this.onGiveUp = onGiveUp;
  }

  get open(): boolean {
    return this.openedAt !== undefined;
  }

  get gaveUp(): boolean {
    return this.givenUp;
  }

  /** A retry listener for one request: counts the attempts that met an outage. */
  readonly onRetry = (event: RetryEvent): void => {
    if (isOutageStatus(event.status)) this.recordOutage(event.reason);
    else this.outages = 0;
  };

  recordOutage(reason: string): void {
    if (this.givenUp) return;
    this.outages++;
    this.lastReason = reason;
    if (this.outages >= this.threshold && this.openedAt === undefined) {
      this.openedAt = Date.now();
      this.timer = setTimeout(() => this.giveUp(), this.giveUpAfterMs);
      this.timer.unref();
    }
  }

  /** The provider answered (any HTTP answer that is not an outage). */
  recordAnswer(): void {
    this.outages = 0;
    if (this.openedAt === undefined) return;
    this.openedAt = undefined;
    clearTimeout(this.timer);
    this.wake();
  }

  /** Waits until a new sample may start; `probe` admissions must be ended with `probeEnded`. */
  async admit(signal: AbortSignal): Promise<Admission> {
    for (;;) {
      if (this.givenUp || this.disposed || signal.aborted) return "stop";
      if (this.openedAt === undefined) return "go";
      if (!this.probing) {
        this.probing = true;
        return "probe";
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.waiters.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  probeEnded(): void {
    this.probing = false;
    this.wake();
  }

  /** Admits nothing more (the run is stopping for another reason) and wakes every waiting lane. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.wake();
  }

  private giveUp(): void {
    if (this.openedAt === undefined || this.givenUp || this.disposed) return;
    this.givenUp = true;
    const seconds = Number((this.giveUpAfterMs / 1000).toFixed(1));
    this.onGiveUp(
      `the provider did not answer for ${seconds} s after ${this.threshold} unreachable or overloaded answers in a row (last: ${this.lastReason})`,
    );
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}
