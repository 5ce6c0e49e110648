import { evaluateJudge, getClassifier, loadLabelledExamples } from "@aflab/classifiers";
import { InputError, modelIdSchema, runConfigSchema, simulatedJudgeId } from "@aflab/core";
import { createClientFactory } from "@aflab/engine";
import type { Command } from "commander";
import { lazyStore, loadEnvironment, numberFlag, resolveDbPath } from "../context.js";
import { percent, table } from "../format.js";
import { requireFormat } from "./report.js";

interface JudgeEvalFlags {
  labels?: string;
  classifier?: string;
  judge?: string;
  textColumn?: string;
  labelColumn?: string;
  limit?: string;
  concurrency?: string;
  db?: string;
  providers?: string;
  format?: string;
}

export function registerJudgeEvalCommand(program: Command): void {
  program
    .command("judge-eval")
    .description(
      "measure a judge on labelled examples: AUROC, confusion matrix, precision/recall/F1, threshold sweep",
    )
    .requiredOption("--labels <file>", "CSV or JSONL with a text column and a 0/1 label column")
    .option("--classifier <name>", "classifier to measure", "af-reasoning")
    .option("--judge <id>", "judge model (sim/judge works offline)")
    .option("--text-column <name>", "column holding the judged text", "scratchpad_reasoning")
    .option("--label-column <name>", "column holding the 0/1 label", "alignment_faking_human_label")
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
      const providers = loadEnvironment({ providers: flags.providers });
      const classifier = getClassifier(flags.classifier ?? "af-reasoning");
      if (classifier.needsJudge && !flags.judge) {
        throw new InputError(`classifier ${classifier.name} needs --judge provider/model`, {
          field: "judge",
        });
      }
      const limit = numberFlag(flags.limit, "--limit");
      // slice(0, -1) would silently drop the last example instead of refusing the flag.
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new InputError(`--limit: expected a positive whole number, got ${flags.limit}`, {
          field: "limit",
        });
      }
      // A malformed judge id is a one-line input error, checked before the labels are read or the store opened.
      const judgeCheck = modelIdSchema.safeParse(flags.judge ?? simulatedJudgeId);
      if (!judgeCheck.success) {
        throw new InputError(
          `--judge: ${judgeCheck.error.issues[0]?.message ?? "expected provider/model"}, got "${flags.judge}"`,
          { field: "judge" },
        );
      }
      const config = runConfigSchema.parse({ model: judgeCheck.data, judge: flags.judge });
      let items = await loadLabelledExamples(flags.labels ?? "", {
        textColumn: flags.textColumn ?? "scratchpad_reasoning",
        labelColumn: flags.labelColumn ?? "alignment_faking_human_label",
      });
      if (limit !== undefined) items = items.slice(0, limit);
      const store = lazyStore(resolveDbPath(flags));
      try {
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
          concurrency: numberFlag(flags.concurrency, "--concurrency"),
          onProgress: (done: number, total: number) => {
            if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2Kjudging ${done}/${total}`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write("\n");
        if (format === "json") {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatJudgeEval(classifier.name, flags.judge ?? "(none)", result)}\n`);
      } finally {
        store.close();
      }
    });
}

type JudgeEvaluation = Awaited<ReturnType<typeof evaluateJudge>>;

function formatJudgeEval(classifier: string, judge: string, result: JudgeEvaluation): string {
  const confusion = result.confusion;
  const lines = [
    `judge-eval: ${classifier} judged by ${judge}`,
    `examples scored ${result.scored}, failed ${result.failures.length}`,
    `AUROC ${result.auroc === null ? "— (needs both labels)" : result.auroc.toFixed(3)}`,
    "",
    `at the decision threshold ${confusion.threshold}:`,
    table(
      ["", "predicted yes", "predicted no"],
      [
        ["labelled yes", String(confusion.truePositives), String(confusion.falseNegatives)],
        ["labelled no", String(confusion.falsePositives), String(confusion.trueNegatives)],
      ],
    ),
    `precision ${percent(confusion.precision)}  recall ${percent(confusion.recall)}  F1 ${confusion.f1 === null ? "—" : confusion.f1.toFixed(3)}  accuracy ${percent(confusion.accuracy)}`,
    "",
    table(
      ["threshold", "precision", "recall", "F1", "accuracy"],
      result.sweep.map((row) => [
        row.threshold.toFixed(1),
        percent(row.precision),
        percent(row.recall),
        row.f1 === null ? "—" : row.f1.toFixed(3),
        percent(row.accuracy),
      ]),
    ),
  ];
  return lines.join("\n");
}
