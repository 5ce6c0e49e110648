import { setMaxListeners } from "node:events";
import type { RunEvent } from "@aflab/core";

export type JobKind = "run" | "classify";

interface Job {
  kind: JobKind;
  controller: AbortController;
  done: Promise<void>;
}

type Listener = (event: RunEvent) => void;

/**
 * Runs and re-classifications started through this API process: what is in flight, how to cancel it,
 * and who listens to its events (the SSE route). Runs started by other processes are seen through the
 * store instead.
 */
export class RunJobs {
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Map<string, Set<Listener>>();

  isActive(runId: string): boolean {
    return this.#jobs.has(runId);
  }

  kindOf(runId: string): JobKind | undefined {
    return this.#jobs.get(runId)?.kind;
  }

  /** Register work for a run; `work` receives the abort signal and the event sink. Resolves when it has settled. */
  start(
    runId: string,
    kind: JobKind,
    work: (signal: AbortSignal, emit: (event: RunEvent) => void) => Promise<unknown>,
    onError: (error: unknown) => void,
  ): Promise<void> {
    const controller = new AbortController();
    // Every request of the run listens on this signal: more than ten listeners is expected, not a leak.
    setMaxListeners(0, controller.signal);
    const emit = (event: RunEvent) => this.emit(runId, event);
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // Registered before the work starts, so a run that fails at once is still seen as active until it settles.
    this.#jobs.set(runId, { kind, controller, done });
    void (async () => {
      try {
        await work(controller.signal, emit);
      } catch (error) {
        onError(error);
      } finally {
        this.#jobs.delete(runId);
        finish();
      }
    })();
    return done;
  }

  /** Cancel a run's work and wait for it to settle. */
  async cancel(runId: string): Promise<void> {
    const job = this.#jobs.get(runId);
    if (!job) return;
    job.controller.abort();
    await job.done;
  }

  /** Cancel everything (server shutdown). */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.#jobs.keys()].map((runId) => this.cancel(runId)));
  }

  /** Wait for a run's work to finish (tests, shutdown). */
  async settled(runId: string): Promise<void> {
    await this.#jobs.get(runId)?.done;
  }

  subscribe(runId: string, listener: Listener): () => void {
    const set = this.#listeners.get(runId) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(runId);
    };
  }

  emit(runId: string, event: RunEvent): void {
    for (const listener of this.#listeners.get(runId) ?? []) listener(event);
  }
}
