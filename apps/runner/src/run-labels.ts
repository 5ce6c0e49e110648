import type { Classifier, EvaluationItem } from "@aflab/classifiers";
import {
  type HumanLabel,
  InputError,
  judgedScratchpadText,
  labellerSchema,
  labelTarget,
  parseOrThrow,
  resolveScratchpadSource,
} from "@aflab/core";
import type { Store } from "@aflab/store";

/** Where the examples of a `judge-eval --labels-from` came from, and what was left out and why. */
export interface RunLabelSource {
  runId: string;
  /** Only this labeller's labels; null: every labeller's. */
  labeller: string | null;
  target: "af" | "evalAware";
  /** Labelled samples whose labels are `unsure` or do not speak to the classifier. */
  undecided: number;
  /** Samples whose labellers gave opposite answers (only without a labeller named). */
  conflicting: number;
  /** Samples without the text the classifier reads (no scratchpad, or no output). */
  withoutText: number;
  /** Sample key of each example, in example order. */
  sampleKeys: string[];
}

/**
 * The labelled examples a run's human labels make for `classifier`: each sample whose label answers the
 * classifier's question (AF for the AF judges, eval-awareness for the eval-awareness judge) with a plain
 * yes or no becomes one example, its text the part the classifier reads as a run gave it (the judged
 * scratchpad, or the output). With several labellers and none named, a sample they disagree on is left out.
 * @throws InputError for a classifier no human label speaks to, a bad labeller name or a run without labels
 */
export async function runLabelExamples(
  store: Store,
  runId: string,
  classifier: Pick<Classifier, "name" | "reads">,
  labeller?: string,
): Promise<{ items: EvaluationItem[]; source: RunLabelSource }> {
  const target = labelTarget(classifier.name);
  if (target === null) {
    throw new InputError(
      `--labels-from: the human labels say whether a transcript fakes alignment or is eval-aware; ` +
        `classifier ${classifier.name} answers neither (use af-reasoning, af-paper or eval-awareness)`,
      { field: "classifier" },
    );
  }
  const name = labeller === undefined ? null : parseOrThrow(labellerSchema, labeller, "--labeller");
  const run = await store.requireRun(runId);
  const labels = (await store.listLabels(runId)).filter((label) => name === null || label.labeller === name);
  if (labels.length === 0) {
    throw new InputError(
      `--labels-from: run ${runId} has no human labels${name === null ? "" : ` by ${name}`}: label transcripts in the viewer first`,
      { field: "labels-from" },
    );
  }
  const bySample = new Map<string, HumanLabel[]>();
  for (const label of labels)
    bySample.set(label.sampleKey, [...(bySample.get(label.sampleKey) ?? []), label]);
  const source: RunLabelSource = {
    runId,
    labeller: name,
    target,
    undecided: 0,
    conflicting: 0,
    withoutText: 0,
    sampleKeys: [],
  };
  const items: EvaluationItem[] = [];
  for (const [key, sampleLabels] of bySample) {
    const answers = new Set(
      sampleLabels.map((label) => label[target]).filter((answer) => answer === "yes" || answer === "no"),
    );
    if (answers.size === 0) {
      source.undecided++;
      continue;
    }
    if (answers.size > 1) {
      source.conflicting++;
      continue;
    }
    const sample = await store.getSample(runId, key);
    if (!sample) continue;
    const text =
      classifier.reads === "scratchpad"
        ? judgedScratchpadText(
            sample.scratchpadSource ?? resolveScratchpadSource(run.config.scratchpadSource, sample),
            sample,
          )
        : sample.output;
    if (text === null || text.trim() === "") {
      source.withoutText++;
      continue;
    }
    items.push({ text, label: answers.has("yes"), query: sample.query });
    source.sampleKeys.push(key);
  }
  if (items.length === 0) {
    throw new InputError(
      `--labels-from: none of run ${runId}'s ${bySample.size} labelled samples has a plain yes or no ` +
        `for ${classifier.name} with text to judge (${source.undecided} unsure or unanswered, ` +
        `${source.conflicting} conflicting, ${source.withoutText} without text)`,
      { field: "labels-from" },
    );
  }
  return { items, source };
}
