import { classifyRun, createClientFactory } from "@aflab/engine";
import type { Command } from "commander";
import { displayDb, listFlag, loadEnvironment, numberFlag } from "../context.js";
import { createProgress } from "../progress.js";
import { openExistingStore } from "./report.js";

export function registerClassifyCommand(program: Command): void {
  program
    .command("classify")
    .description("(re)classify a stored run; cached judge calls are not paid twice")
    .argument("<runId>", "run id")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--classifiers <list>", "classifiers, comma-separated (default: the run's)")
    .option("--judge <id>", "judge model (default: the run's)")
    .option("--force", "replace the classifiers' verdicts (all at once, when every sample has a new one)")
    .option("--allow-simulated-judge", "let the simulated judge (sim/judge) classify a real model's samples")
    .option("--concurrency <n>", "samples classified at once")
    .option("--judge-max-connections <n>", "connection limit of the judge client")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--quiet", "no progress display")
    .action(
      async (
        runId: string,
        flags: {
          db?: string;
          classifiers?: string;
          judge?: string;
          force?: boolean;
          allowSimulatedJudge?: boolean;
          concurrency?: string;
          judgeMaxConnections?: string;
          providers?: string;
          quiet?: boolean;
        },
      ) => {
        const providers = loadEnvironment({ providers: flags.providers });
        const store = openExistingStore(flags.db);
        const progress = flags.quiet ? undefined : createProgress({ label: "classify" });
        try {
          const outcome = await classifyRun(store, runId, {
            classifiers: listFlag(flags.classifiers),
            judge: flags.judge,
            force: flags.force,
            allowSimulatedJudge: flags.allowSimulatedJudge,
            concurrency: numberFlag(flags.concurrency, "--concurrency"),
            createClient: createClientFactory({
              responseCache: store.responseCache(),
              providers,
              maxConnections: { judge: numberFlag(flags.judgeMaxConnections, "--judge-max-connections") },
            }),
            onEvent: (event) => progress?.onEvent(event),
          });
          const db = flags.db ? ` --db ${displayDb(flags.db)}` : "";
          process.stdout.write(
            `classified ${outcome.classified} verdict(s), skipped ${outcome.skipped} already present, ${outcome.failed} failed\n` +
              (outcome.replaced.length > 0
                ? `replaced every verdict of ${outcome.replaced.join(", ")} at once\n`
                : "") +
              (outcome.unfinished.length > 0
                ? `the replacement of ${outcome.unfinished.join(", ")} is unfinished (old verdicts kept): finish it with aflab classify ${runId}${db}\n`
                : "") +
              `see: aflab report ${runId}${db}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
