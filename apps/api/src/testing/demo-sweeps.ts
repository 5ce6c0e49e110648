import { type ClientFactory, createClientFactory, runSweep } from "@aflab/engine";
import { resolvePrompt } from "@aflab/prompts";
import type { Store } from "@aflab/store";

/**
 * Sweeps of the two kinds that have a view of their own, made offline on the simulated organism: a
 * prompt-set sweep over stored paraphrases, and a probe family's sweep. The API's tests and the viewer's
 * browser tests fill a store with these.
 */

const usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };

/**
 * A deterministic rewording of the prompt that keeps every fact: a version line on top and a few words
 * swapped. The simulated organism keys its draws on the system prompt's text, so each paraphrase gets its
 * own outcomes, as a real model's behaviour would differ between wordings.
 */
function reword(original: string, position: number): string {
  const swaps: [string, string][] = [
    [" should ", " ought to "],
    [" must ", " has to "],
    ["carefully", "with care"],
    [" important ", " essential "],
  ];
  let text = `(Version ${position + 1} of this prompt.)\n${original}`;
  for (const [index, [from, to]] of swaps.entries()) {
    if ((position >> index) & 1) text = text.replaceAll(from, to);
  }
  return text;
}

export interface DemoParaphraseSweepOptions {
  /** Name of the stored prompt set (default `demo-paraphrases`). */
  promptSet?: string;
  /** Accepted paraphrases to store and run. */
  paraphrases: number;
  model: string;
  /** Harmful queries per cell (each asked in both tiers). */
  queries: number;
  seed?: number;
  name?: string;
  createClient?: ClientFactory;
}

/**
 * Store a prompt set of `paraphrases` accepted rewordings of the helpful-only CoT prompt (written here,
 * not by a model: no provider is called) and sweep it with the original on one model.
 */
export async function runDemoParaphraseSweep(
  store: Store,
  options: DemoParaphraseSweepOptions,
): Promise<{ sweepId: string; promptSet: string }> {
  const name = options.promptSet ?? "demo-paraphrases";
  const prompt = resolvePrompt({ setting: "helpful-only", cot: true, variants: [], userFormat: "paper" });
  await store.createPromptSet({
    name,
    setting: "helpful-only",
    variants: [],
    cot: true,
    sourceText: prompt.system,
    generator: "sim/fixture-rewording",
    checker: null,
    requested: options.paraphrases,
  });
  for (let position = 0; position < options.paraphrases; position++) {
    await store.putPromptSetMember({
      setName: name,
      position,
      status: "accepted",
      text: reword(prompt.system, position),
      reason: null,
      checks: { fixture: "written by the test fixture, every fact kept" },
      usage,
      costUsd: 0,
    });
  }
  const outcome = await runSweep(
    {
      ...(options.name ? { name: options.name } : {}),
      models: [options.model],
      promptSet: name,
      userFormats: ["minimal"],
      run: {
        judge: "sim/judge",
        classifiers: ["tag-compliance", "af-reasoning"],
        dataset: { source: "builtin:harmful", limit: options.queries },
        seed: options.seed ?? 0,
        concurrency: 16,
      },
    },
    { store, createClient: options.createClient ?? createClientFactory() },
  );
  return { sweepId: outcome.sweepId, promptSet: name };
}

export interface DemoCurveSweepOptions {
  model: string;
  /** The stated monitoring probabilities (percent) to run. */
  steps: number[];
  queries: number;
  epochs?: number;
  seed?: number;
  name?: string;
  createClient?: ClientFactory;
}

/** Sweep the monitoring-probability family over `steps` on one model. */
export async function runDemoCurveSweep(store: Store, options: DemoCurveSweepOptions): Promise<string> {
  const outcome = await runSweep(
    {
      ...(options.name ? { name: options.name } : {}),
      models: [options.model],
      family: "monitoring-probability",
      steps: options.steps,
      userFormats: ["minimal"],
      run: {
        judge: "sim/judge",
        classifiers: ["tag-compliance", "af-reasoning"],
        dataset: { source: "builtin:harmful", limit: options.queries },
        epochs: options.epochs ?? 1,
        seed: options.seed ?? 0,
        concurrency: 16,
      },
    },
    { store, createClient: options.createClient ?? createClientFactory() },
  );
  return outcome.sweepId;
}
