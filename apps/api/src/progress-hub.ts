import type { RunProgress, Store } from "@aflab/store";
import type { JobKind, RunJobs } from "./run-jobs.js";

/** What an event stream says about a run at one tick. */
export interface ProgressSnapshot {
  status: string;
  progress: RunProgress;
  active: JobKind | null;
}

/** A change for the subscribers of one run: new progress, or the end (the run finished or was deleted). */
export type ProgressUpdate =
  | { type: "progress"; snapshot: ProgressSnapshot }
  | { type: "end"; status: string; progress?: RunProgress };

type Subscriber = (update: ProgressUpdate) => void;

interface Watch {
  subscribers: Set<Subscriber>;
  /** The last progress sent, for subscribers that join between ticks. */
  last: ProgressSnapshot | undefined;
  lastText: string;
}

/**
 * One poller per run, however many streams follow it: each tick reads the run's status and progress once
 * (a few rows of the aggregate tables) and hands any change to every subscriber. Polling, not store
 * events, because runs written by other processes on the same file must show up too. The poller stops
 * when its last subscriber leaves or the run ends.
 */
export class RunProgressHub {
  readonly #watches = new Map<string, Watch>();
  readonly #store: Store;
  readonly #jobs: RunJobs;
  readonly #intervalMs: number;

  constructor(store: Store, jobs: RunJobs, intervalMs: number) {
    this.#store = store;
    this.#jobs = jobs;
    this.#intervalMs = intervalMs;
  }

  /** Runs being polled now (for tests and the benchmark). */
  get pollers(): number {
    return this.#watches.size;
  }

  /** Calls `subscriber` with every change of `runId` from now on, the current progress first; returns the unsubscribe. */
  subscribe(runId: string, subscriber: Subscriber): () => void {
    let watch = this.#watches.get(runId);
    if (!watch) {
      watch = { subscribers: new Set(), last: undefined, lastText: "" };
      this.#watches.set(runId, watch);
      watch.subscribers.add(subscriber);
      void this.#poll(runId, watch);
    } else {
      watch.subscribers.add(subscriber);
      if (watch.last) subscriber({ type: "progress", snapshot: watch.last });
    }
    const current = watch;
    return () => {
      current.subscribers.delete(subscriber);
    };
  }

  async #poll(runId: string, watch: Watch): Promise<void> {
    try {
      while (watch.subscribers.size > 0) {
        const update = await this.#tick(runId, watch);
        if (update === "ended") return;
        await new Promise((resolve) => setTimeout(resolve, this.#intervalMs));
      }
    } catch (error) {
      this.#send(watch, { type: "end", status: "failed" });
      console.error(`aflab api: following run ${runId}: ${error instanceof Error ? error.message : error}`);
    } finally {
      if (this.#watches.get(runId) === watch) this.#watches.delete(runId);
    }
  }

  async #tick(runId: string, watch: Watch): Promise<"ended" | "running"> {
    const run = await this.#store.getRun(runId);
    if (!run) {
      this.#send(watch, { type: "end", status: "deleted" });
      return "ended";
    }
    const progress = await this.#store.progress(runId);
    const active = this.#jobs.kindOf(runId) ?? null;
    const snapshot: ProgressSnapshot = { status: run.status, progress, active };
    const text = JSON.stringify(snapshot);
    if (text !== watch.lastText) {
      watch.last = snapshot;
      watch.lastText = text;
      this.#send(watch, { type: "progress", snapshot });
    }
    if (run.status !== "running" && active === null) {
      // Later subscribers start a new poller, which reads the finished run once and ends.
      if (this.#watches.get(runId) === watch) this.#watches.delete(runId);
      this.#send(watch, { type: "end", status: run.status, progress });
      return "ended";
    }
    return "running";
  }

  #send(watch: Watch, update: ProgressUpdate): void {
    for (const subscriber of [...watch.subscribers]) subscriber(update);
  }
}
