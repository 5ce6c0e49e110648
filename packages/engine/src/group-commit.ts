import type { Sample, SampleInput, Verdict, VerdictInput } from "@aflab/core";
import type { Store } from "@aflab/store";

export interface GroupCommitOptions {
  /** The longest a write waits for others to join its group, in milliseconds (default 5). */
  maxDelayMs?: number;
  /** Writes (samples and verdicts) that commit at once without waiting for the delay (default 64). */
  maxWrites?: number;
}

interface Pending<Input, Result> {
  input: Input;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

type SampleOutcome = { stored: boolean; sample: Sample };

/**
 * Group commit of a run's samples and verdicts: writes wait a few milliseconds (or until enough of them are
 * waiting) and then commit together, so a run pays one transaction per group instead of one per write.
 * Each write's promise settles only once its group is committed: what a caller reports as stored after it
 * survives a crash. Groups commit one after another, in the order their writes were asked.
 *
 * A group that the store rejects is retried one write at a time, so only the write at fault rejects.
 */
export class GroupCommit {
  private readonly maxDelayMs: number;
  private readonly maxWrites: number;
  private samples: Pending<SampleInput, SampleOutcome>[] = [];
  private verdicts: Pending<VerdictInput, Verdict>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The commit in progress (an asynchronous store may still be writing the previous group). */
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<Store, "putSamplesUnlessFinished" | "putVerdicts">,
    options: GroupCommitOptions = {},
  ) {
    this.maxDelayMs = Math.max(0, options.maxDelayMs ?? 5);
    this.maxWrites = Math.max(1, options.maxWrites ?? 64);
  }

  /** Stores `sample` unless a finished sample has its key (see `Store.putSampleUnlessFinished`). */
  putSampleUnlessFinished(sample: SampleInput): Promise<SampleOutcome> {
    return new Promise((resolve, reject) => {
      this.samples.push({ input: sample, resolve, reject });
      this.scheduled();
    });
  }

  putVerdict(verdict: VerdictInput): Promise<Verdict> {
    return new Promise((resolve, reject) => {
      this.verdicts.push({ input: verdict, resolve, reject });
      this.scheduled();
    });
  }

  /** Commits whatever waits now; resolves once every group asked so far is committed. */
  flush(): Promise<void> {
    this.commitNow();
    return this.committing;
  }

  private scheduled(): void {
    if (this.samples.length + this.verdicts.length >= this.maxWrites) this.commitNow();
    else this.timer ??= setTimeout(() => this.commitNow(), this.maxDelayMs);
  }

  private commitNow(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.samples.length === 0 && this.verdicts.length === 0) return;
    const samples = this.samples;
    const verdicts = this.verdicts;
    this.samples = [];
    this.verdicts = [];
    this.committing = this.committing.then(async () => {
      // Samples first: a verdict asked in the same group may judge one of them.
      await commitGroup(samples, (inputs) => this.store.putSamplesUnlessFinished(inputs));
      await commitGroup(verdicts, (inputs) => this.store.putVerdicts(inputs));
    });
  }
}

/** Commits `group` in one call, or one write at a time when the call fails, settling every write's promise. */
async function commitGroup<Input, Result>(
  group: Pending<Input, Result>[],
  write: (inputs: Input[]) => Promise<Result[]>,
): Promise<void> {
  if (group.length === 0) return;
  let results: Result[] | undefined;
  try {
    results = await write(group.map((pending) => pending.input));
  } catch (error) {
    if (group.length === 1) {
      group[0]?.reject(error);
      return;
    }
  }
  if (results) {
    for (const [position, pending] of group.entries()) pending.resolve(results[position] as Result);
    return;
  }
  for (const pending of group) {
    try {
      const [result] = await write([pending.input]);
      pending.resolve(result as Result);
    } catch (error) {
      pending.reject(error);
    }
  }
}
