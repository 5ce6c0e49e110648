import type { Tier } from "./run-config.js";
import type { SampleStatus } from "./sample.js";
import type { VerdictStatus } from "./verdict.js";

/** Events the engine emits while a run progresses; the CLI draws progress from them, the API streams them. */
export type RunEvent =
  | { type: "run-start"; runId: string; total: number; pending: number; simulated: boolean }
  | { type: "sample-start"; runId: string; key: string; tier: Tier }
  | { type: "generation-end"; runId: string; key: string; status: SampleStatus; retries: number }
  | {
      type: "judge-end";
      runId: string;
      key: string;
      classifier: string;
      status: VerdictStatus;
      decision: string | null;
    }
  | { type: "sample-end"; runId: string; key: string; status: SampleStatus; done: number; total: number }
  | { type: "sample-error"; runId: string; key: string; message: string }
  | { type: "retry"; runId: string; model: string; attempt: number; delayMs: number; reason: string }
  | {
      /** A provider batch was submitted, polled or finished (`aflab run --batch`). */
      type: "batch";
      runId: string;
      batchId: string;
      providerBatchId: string | null;
      state: string;
      requests: number;
      counts: {
        processing: number;
        succeeded: number;
        errored: number;
        canceled: number;
        expired: number;
      } | null;
    }
  | {
      type: "run-end";
      runId: string;
      status: "complete" | "interrupted" | "failed";
      done: number;
      total: number;
    };

export type RunEventType = RunEvent["type"];
export type RunEventListener = (event: RunEvent) => void;
