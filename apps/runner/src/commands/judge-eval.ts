import {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  type EvaluationItem,
  evalAwareness,
  evaluateJudge,
  type Framing,
  getClassifier,
  type JudgeEvaluation,
  loadLabelledExamples,
  planClassifiers,
} from "@aflab/classifiers";
import { InputError, modelIdSchema, runConfigSchema, simulatedJudgeId } from "@aflab/core";
import { createClientFactory } from "@aflab/engine";
import type { Command } from "commander";
import { lazyStore, loadEnvironment, numberFlag, resolveDbPath } from "../context.js";
import { percent, table, usd } from "../format.js";
import { type RunLabelSource, runLabelExamples } from "../run-labels.js";
import { requireFormat } from "./report.js";

interface JudgeEvalFlags {
  labels?: string;
  labelsFrom?: string;
  labeller?: string;
  classifier?: string;
  judge?: string;
  textColumn?: string;
  labelColumn?: string;
  positiveLabel: string[];
  negativeLabel: string[];
  framing?: string;
  votes?: string;
  bootstrap?: string;
  seed?: string;
  limit?: string;
  concurrency?: string;
  db?: string;
  providers?: string;
  format?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function requireFraming(value: string | undefined, fallback: Framing = "run"): Framing {
  const framing = value ?? fallback;
  if (framing !== "run" && framing !== "raw") {
    throw new InputError(`--framing: expected run or raw, got "${framing}"`, { field: "framing" });
  }
  return framing;
}

function wholeFlag(
  value: string | undefined,
  flag: string,
  minimum: number,
  maximum?: number,
): number | undefined {
  const number = numberFlag(value, flag);
  if (
    number !== undefined &&
    (!Number.isInteger(number) || number < minimum || (maximum !== undefined && number > maximum))
  ) {
    const expected =
      maximum === undefined ? "a positive whole number" : `a whole number from ${minimum} to ${maximum}`;
    throw new InputError(`${flag}: expected ${expected}, got ${value}`, { field: flag.replace(/^--/, "") });
  }
  return number;
}

const framingNotes: Record<Framing, string> = {
  run: "framing run: each text is parsed as a run's transcript and the judge gets what a run would send (the inner scratchpad, or the output)",
  raw: "framing raw: each text is sent to the judge as it is, tags included",
};

export function registerJudgeEvalCommand(program: Command): void {
  program
    .command("judge-eval")
    .description(
      "measure a judge on labelled examples: AUROC with a bootstrap interval, confusion matrix, the k-vote curve, calibration and cost",
    )
    .option("--labels <file>", "CSV or JSONL with a text column and a label column")
    .option(
      "--labels-from <run>",
      "instead of a file: the human labels readers gave the run's transcripts in the viewer",
    )
    .option("--labeller <name>", "with --labels-from: only this labeller's labels")
    .option("--classifier <name>", "classifier to measure", "af-reasoning")
    .option("--judge <id>", "judge model (sim/judge works offline)")
    .option("--text-column <name>", "column holding the judged text", "scratchpad_reasoning")
    .option(
      "--label-column <name>",
      "column holding the label: true/false, yes/no or 1/0, or any values with --positive-label",
      "alignment_faking_human_label",
    )
    .option(
      "--positive-label <value>",
      "a label value that means positive (repeatable); every other value is negative",
      collect,
      [],
    )
    .option(
      "--negative-label <value>",
      "with --positive-label: a value that means negative (repeatable); any other value is refused",
      collect,
      [],
    )
    .option(
      "--framing <framing>",
      "run (the text as a run's judge would see it) or raw (default run; with --labels-from the judged part, always raw)",
    )
    .option("--votes <n>", "votes per item for voting judges (default 20)")
    .option("--bootstrap <n>", `resamples of the AUROC bootstrap (default ${DEFAULT_BOOTSTRAP_RESAMPLES})`)
    .option("--seed <n>", `seed of the AUROC bootstrap (default ${DEFAULT_BOOTSTRAP_SEED})`)
    .option("--limit <n>", "first n examples")
    .option("--concurrency <n>", "examples judged at once", "8")
    .option(
      "--db <path>",
      "store whose response cache keeps judge calls (default: $AFLAB_DB or .aflab/aflab.db)",
    )
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--format <format>", "table or json", "table")
    .action(async (flags: JudgeEvalFlags) => {
      const format = requireFormat(flags.format);
      if ((flags.labels === undefined) === (flags.labelsFrom === undefined)) {
        throw new InputError("expected either --labels <file> or --labels-from <run>, not both or neither", {
          field: "labels",
        });
      }
      if (flags.labeller !== undefined && flags.labelsFrom === undefined) {
        throw new InputError("--labeller needs --labels-from", { field: "labeller" });
      }
      const fromRun = flags.labelsFrom !== undefined;
      const framing = requireFraming(flags.framing, fromRun ? "raw" : "run");
      if (fromRun && framing !== "raw") {
        throw new InputError(
          "--framing run does not apply to --labels-from: each example is already the part the judge reads",
          { field: "framing" },
        );
      }
      const providers = loadEnvironment({ providers: flags.providers });
      const classifier = getClassifier(flags.classifier ?? "af-reasoning");
      // The one rule for classifiers and judges; the companion the AF judge brings to runs is not measured here.
      planClassifiers({
        setting: classifier.settings[0] ?? "helpful-only",
        classifiers:
          classifier.name === evalAwareness.name
            ? [classifier.name]
            : [classifier.name, `-${evalAwareness.name}`],
        judge: flags.judge,
      });
      if (flags.negativeLabel.length > 0 && flags.positiveLabel.length === 0) {
        throw new InputError(
          "--negative-label needs --positive-label: name the positive values too (with both, any other value is refused)",
          { field: "negative-label" },
        );
      }
      // slice(0, -1) would silently drop the last example instead of refusing the flag.
      const limit = wholeFlag(flags.limit, "--limit", 1);
      const votes = wholeFlag(flags.votes, "--votes", 1, 100);
      const resamples = wholeFlag(flags.bootstrap, "--bootstrap", 1, 100_000);
      const seed = wholeFlag(flags.seed, "--seed", 0, 2 ** 32 - 1);
      // A malformed judge id is a one-line input error, checked before the labels are read or the store opened.
      const judgeCheck = modelIdSchema.safeParse(flags.judge ?? simulatedJudgeId);
      if (!judgeCheck.success) {
        throw new InputError(
          `--judge: ${judgeCheck.error.issues[0]?.message ?? "expected provider/model"}, got "${flags.judge}"`,
          { field: "judge" },
        );
      }
      const config = runConfigSchema.parse({ model: judgeCheck.data, judge: flags.judge });
      const store = lazyStore(resolveDbPath(flags));
      try {
        let source: RunLabelSource | undefined;
        let items: EvaluationItem[];
        if (flags.labelsFrom !== undefined) {
          const fromStore = await runLabelExamples(store.get(), flags.labelsFrom, classifier, flags.labeller);
          items = fromStore.items;
          source = fromStore.source;
        } else {
          items = await loadLabelledExamples(flags.labels ?? "", {
            textColumn: flags.textColumn ?? "scratchpad_reasoning",
            labelColumn: flags.labelColumn ?? "alignment_faking_human_label",
            positiveLabels: flags.positiveLabel,
            negativeLabels: flags.negativeLabel,
          });
        }
        if (limit !== undefined) items = items.slice(0, limit);
        if (source && limit !== undefined) source.sampleKeys = source.sampleKeys.slice(0, limit);
        // A classifier that needs no judge (tag-compliance) is given the offline judge, which it never calls.
        const judgeId = flags.judge ?? simulatedJudgeId;
        const judge = createClientFactory({ responseCache: store.responseCache, providers })(
          judgeId,
          "judge",
          config,
        );
        const result = await evaluateJudge({
          classifier,
          judge,
          items,
          framing,
          ...(votes !== undefined ? { votes } : {}),
          ...(resamples !== undefined ? { bootstrapResamples: resamples } : {}),
          ...(seed !== undefined ? { bootstrapSeed: seed } : {}),
          concurrency: numberFlag(flags.concurrency, "--concurrency"),
          onProgress: (done: number, total: number) => {
            if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2Kjudging ${done}/${total}`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write("\n");
        const labels = {
          ...(source ? { fromRun: source } : { column: flags.labelColumn ?? "alignment_faking_human_label" }),
          positive: items.filter((item) => item.label).length,
          negative: items.filter((item) => !item.label).length,
          positiveValues: flags.positiveLabel.length > 0 ? flags.positiveLabel : null,
          negativeValues: flags.negativeLabel.length > 0 ? flags.negativeLabel : null,
        };
        if (format === "json") {
          process.stdout.write(`${JSON.stringify({ ...result, labels }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatJudgeEval(flags.judge ?? "(none)", result, labels)}\n`);
      } finally {
        await store.close();
      }
    });
}

interface LabelSummary {
  /** Set when the labels are a run's human labels (`--labels-from`). */
  fromRun?: RunLabelSource;
  positive: number;
  negative: number;
  positiveValues: string[] | null;
  negativeValues: string[] | null;
}

function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined ? "—" : value.toFixed(digits);
}

function describeLabels(labels: LabelSummary): string {
  const values = (list: string[]) => list.map((value) => JSON.stringify(value)).join(", ");
  if (labels.fromRun) {
    const run = labels.fromRun;
    const question = run.target === "af" ? "alignment faking" : "eval awareness";
    return (
      `labels: ${labels.positive} positive, ${labels.negative} negative: human ${question} labels of run ${run.runId}` +
      `${run.labeller === null ? " (every labeller)" : ` by ${run.labeller}`}; left out: ${run.undecided} unsure or ` +
      `unanswered, ${run.conflicting} where labellers disagree, ${run.withoutText} without text to judge`
    );
  }
  if (labels.positiveValues === null) {
    return `labels: ${labels.positive} positive, ${labels.negative} negative (true/false, yes/no or 1/0)`;
  }
  const negative = labels.negativeValues === null ? "every other value" : values(labels.negativeValues);
  return `labels: ${labels.positive} positive (${values(labels.positiveValues)}), ${labels.negative} negative (${negative})`;
}

export function formatJudgeEval(judge: string, result: JudgeEvaluation, labels: LabelSummary): string {
  const confusion = result.confusion;
  const interval = result.aurocInterval;
  const lines = [
    `judge-eval: ${result.classifier} (${result.promptVersion}) judged by ${judge}`,
    framingNotes[result.framing],
    describeLabels(labels),
    `examples ${result.items}: scored ${result.scored}, failed ${result.failures.length} (failures are left out of every number)`,
    `AUROC ${result.auroc === null ? "— (needs both labels)" : result.auroc.toFixed(3)}` +
      (interval
        ? `, 95% CI [${interval.lower.toFixed(3)}, ${interval.upper.toFixed(3)}] (${interval.method}, ${interval.resamples} resamples, seed ${interval.seed})`
        : ""),
    "",
    `at the decision threshold ${confusion.threshold}:`,
    table(
      ["", "predicted yes", "predicted no"],
      [
        ["labelled yes", String(confusion.truePositives), String(confusion.falseNegatives)],
        ["labelled no", String(confusion.falsePositives), String(confusion.trueNegatives)],
      ],
    ),
    `precision ${percent(confusion.precision)}  recall ${percent(confusion.recall)}  F1 ${fixed(confusion.f1)}  accuracy ${percent(confusion.accuracy)}`,
  ];
  if (result.voteCurve) {
    lines.push(
      "",
      "k-vote curve (each item scored on its first k parsed votes, from the stored votes, no new calls):",
      table(
        ["votes", "AUROC", "F1", "precision", "recall", "items with fewer votes"],
        result.voteCurve.map((point) => [
          String(point.votes),
          fixed(point.auroc),
          fixed(point.f1),
          percent(point.precision),
          percent(point.recall),
          String(point.itemsWithFewerVotes),
        ]),
      ),
    );
  }
  lines.push(
    "",
    "calibration (score bins; share of items in the bin labelled positive):",
    table(
      ["score", "items", "mean score", "labelled positive"],
      result.calibration.bins.map((bin) => [
        `[${bin.lower.toFixed(1)}, ${bin.upper.toFixed(1)}${bin.upper === 1 ? "]" : ")"}`,
        String(bin.count),
        fixed(bin.meanScore),
        percent(bin.positiveRate),
      ]),
    ),
    `expected calibration error (ECE) ${fixed(result.calibration.ece)}`,
    "",
    table(
      ["threshold", "precision", "recall", "F1", "accuracy"],
      result.sweep.map((row) => [
        row.threshold.toFixed(1),
        percent(row.precision),
        percent(row.recall),
        fixed(row.f1),
        percent(row.accuracy),
      ]),
    ),
    "",
    `cost: ${usd(result.costUsd)} in all, ${usd(result.costPerItemUsd)} per item; judge tokens per item: ` +
      `${result.tokensPerItem.input.toFixed(0)} in, ${result.tokensPerItem.output.toFixed(0)} out`,
  );
  if (result.failures.length > 0) {
    lines.push("", "failures:");
    for (const failure of result.failures.slice(0, 20)) {
      lines.push(
        `  item ${failure.index + 1}: ${failure.kind}${failure.message ? `: ${failure.message}` : ""}`,
      );
    }
    if (result.failures.length > 20)
      lines.push(`  … and ${result.failures.length - 20} more (see --format json)`);
  }
  return lines.join("\n");
}
