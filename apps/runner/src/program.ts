import { Command, CommanderError } from "commander";
import { exitCodeFor, formatCliError } from "./cli-error.js";
import { registerAntiLabCommand } from "./commands/anti-lab.js";
import { registerBatchesCommand } from "./commands/batches.js";
import { registerClassifyCommand } from "./commands/classify.js";
import { registerCompareCommand } from "./commands/compare.js";
import { registerCurveCommand } from "./commands/curve.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDocsCommands } from "./commands/docs.js";
import { registerExportCommand } from "./commands/export.js";
import { registerFinetuneCommands } from "./commands/finetune.js";
import { registerImportCommand } from "./commands/import.js";
import { registerJudgeEvalCommand } from "./commands/judge-eval.js";
import { registerParaphraseCommands } from "./commands/paraphrase.js";
import { registerReportCommand } from "./commands/report.js";
import { registerRunCommand } from "./commands/run.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerStoreCommands } from "./commands/store.js";
import { registerSweepCommand } from "./commands/sweep.js";
import { registerVariantsCommand } from "./commands/variants.js";
import { registerWorkerCommand } from "./commands/worker.js";

export function buildProgram(): Command {
  const program = new Command("aflab")
    .description("run, classify, store and read alignment-faking experiments")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerRunCommand(program);
  registerReportCommand(program);
  registerRunsCommand(program);
  registerBatchesCommand(program);
  registerDemoCommand(program);
  registerVariantsCommand(program);
  registerClassifyCommand(program);
  registerJudgeEvalCommand(program);
  registerSweepCommand(program);
  registerCompareCommand(program);
  registerCurveCommand(program);
  registerAntiLabCommand(program);
  registerParaphraseCommands(program);
  registerExportCommand(program);
  registerImportCommand(program);
  registerServeCommand(program);
  registerStoreCommands(program);
  registerWorkerCommand(program);
  registerDocsCommands(program);
  registerFinetuneCommands(program);
  // Every level throws instead of exiting, so main() maps usage errors to exit code 2.
  const override = (command: Command): void => {
    command.exitOverride();
    for (const child of command.commands) override(child);
  };
  override(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (unknown option, missing argument) or the help text.
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`${formatCliError(error)}\n`);
    return exitCodeFor(error);
  }
}
