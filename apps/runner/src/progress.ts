import type { RunEvent } from "@aflab/core";

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Seconds between lines when the output is not a terminal. */
  intervalSeconds?: number;
  label?: string;
}

/**
 * Turns engine events into progress on stderr: a redrawn line on a terminal, a line every few seconds
 * otherwise (logs, CI). Shows done/total, rate, ETA, retries and errors.
 */
export function createProgress(options: ProgressOptions = {}) {
  const stream = options.stream ?? process.stderr;
  const interactive = Boolean(stream.isTTY);
  const intervalMs = (options.intervalSeconds ?? 5) * 1000;
  let total = 0;
  let done = 0;
  let startDone = 0;
  let retries = 0;
  let errors = 0;
  let started = performance.now();
  let lastDraw = 0;
  let simulated = false;
  const lastBatchLine = new Map<string, string>();

  const render = () => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? (done - startDone) / elapsed : 0;
    const remaining = total - done;
    const eta = rate > 0 ? `${Math.ceil(remaining / rate)}s` : "—";
    const share = total > 0 ? done / total : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    return `${options.label ?? "run"} ${bar} ${done}/${total} ${(share * 100).toFixed(0)}% · ${rate.toFixed(1)}/s · ETA ${eta} · retries ${retries} · errors ${errors}${simulated ? " · simulated" : ""}`;
  };
  const draw = (force = false) => {
    const now = performance.now();
    if (interactive) {
      if (!force && now - lastDraw < 100) return;
      stream.write(`\r\x1b[2K${render()}`);
    } else {
      if (!force && now - lastDraw < intervalMs) return;
      stream.write(`${render()}\n`);
    }
    lastDraw = now;
  };

  return {
    onEvent(event: RunEvent) {
      switch (event.type) {
        case "run-start":
          total = event.total;
          done = event.total - event.pending;
          startDone = done;
          simulated = event.simulated;
          started = performance.now();
          draw(true);
          break;
        case "sample-end":
          if (event.status !== "errored") done = event.done;
          draw();
          break;
        case "sample-error":
          errors++;
          draw();
          break;
        case "retry":
          retries++;
          break;
        case "batch": {
          // One line per batch state or count change: batches are few and slow, so each change is news.
          const counts = event.counts
            ? ` · ${event.counts.succeeded} succeeded, ${event.counts.errored} errored, ${event.counts.expired} expired, ${event.counts.canceled} canceled, ${event.counts.processing} processing`
            : "";
          const line = `batch ${event.batchId}${event.providerBatchId ? ` (${event.providerBatchId})` : ""} ${event.state}: ${event.requests} requests${counts}`;
          if (line !== lastBatchLine.get(event.batchId)) {
            lastBatchLine.set(event.batchId, line);
            stream.write(`${interactive ? "\r\x1b[2K" : ""}${line}\n`);
            draw(true);
          }
          break;
        }
        case "run-end":
          done = event.done;
          draw(true);
          if (interactive) stream.write("\n");
          break;
        default:
          break;
      }
    },
  };
}
