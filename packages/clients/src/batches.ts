import type { GenerateRequest, GenerateResult } from "./model-client.js";

/** One request of a batch: `customId` matches its result (1–64 of a-z, A-Z, 0-9, _ and -). */
export interface BatchItem {
  customId: string;
  request: GenerateRequest;
}

/** A request's result: its reply priced at the batch price, or why there is none. */
export type BatchItemResult =
  | { customId: string; type: "succeeded"; result: GenerateResult }
  | { customId: string; type: "errored" | "expired" | "canceled"; message: string };

export interface BatchCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** A provider batch as the provider reports it. */
export interface BatchStatus {
  providerBatchId: string;
  /** `ended`: every request has its result (succeeded, errored, canceled or expired). */
  state: "in_progress" | "canceling" | "ended";
  counts: BatchCounts;
  createdAt: string;
  /** The run's own batch id, where the provider keeps one with the batch (OpenAI's metadata): null for a
   * batch made without one (not this tool's); absent where the provider keeps none. It identifies a batch
   * whose submission was cut short. */
  label?: string | null;
}

/**
 * A provider's batch API through its official SDK: requests go in at half price and come back within
 * the provider's window (24 hours). `limits` are the provider's per-batch maxima.
 */
export interface BatchApi {
  readonly provider: string;
  readonly limits: { requests: number; bytes: number };
  /** The bytes a request adds to a batch's body, to split batches at the byte limit. */
  requestBytes(item: BatchItem): number;
  /** Submits one batch; `label` is the run's id of it, kept with the batch where the provider can. */
  submit(items: readonly BatchItem[], label: string, signal?: AbortSignal): Promise<BatchStatus>;
  retrieve(providerBatchId: string, signal?: AbortSignal): Promise<BatchStatus>;
  /**
   * The results of an ended batch, one by one (read as a stream, never whole). `requestOf` gives the
   * request of a custom id (its prefill shapes how the reply is read); unknown ids are read without one.
   */
  results(
    providerBatchId: string,
    requestOf: (customId: string) => GenerateRequest | undefined,
    signal?: AbortSignal,
  ): AsyncIterable<BatchItemResult>;
  cancel(providerBatchId: string): Promise<BatchStatus>;
  /** The account's most recent batches, newest first. */
  listRecent(limit: number): Promise<BatchStatus[]>;
}
