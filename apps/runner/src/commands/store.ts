import fs from "node:fs";
import { InputError } from "@aflab/core";
import { copyStore, isPostgresUrl, openStoreUrl, type Store } from "@aflab/store";
import type { Command } from "commander";
import { displayDb } from "../context.js";

async function openSource(location: string): Promise<Store> {
  if (location !== ":memory:" && !isPostgresUrl(location) && !fs.existsSync(location)) {
    throw new InputError(`--from: no store at ${location}`, { field: "from" });
  }
  return openStoreUrl(location);
}

export function registerStoreCommands(program: Command): void {
  const store = program.command("store").description("manage stores: copy runs between files and servers");
  store
    .command("copy")
    .description(
      "copy every run (samples, turns, verdicts, sweeps) from one store to another; safe to repeat",
    )
    .requiredOption("--from <path|url>", "the store to read: a SQLite file or a postgres:// URL")
    .requiredOption(
      "--to <path|url>",
      "the store to write: a SQLite file (created if missing) or a postgres:// URL",
    )
    .action(async (flags: { from: string; to: string }) => {
      if (flags.from.trim() === flags.to.trim()) {
        throw new InputError("--to: the same store as --from", { field: "to" });
      }
      const source = await openSource(flags.from);
      let target: Store | undefined;
      try {
        target = await openStoreUrl(flags.to);
        const interactive = Boolean(process.stderr.isTTY);
        let lastLine = 0;
        const summary = await copyStore(source, target, {
          onProgress: (step) => {
            const now = performance.now();
            const done = step.samples >= step.runSamples;
            if (!interactive && !done && now - lastLine < 2000) return;
            lastLine = now;
            const line = `copying run ${step.run}/${step.runs} ${step.runId}: ${step.samples}/${step.runSamples} samples`;
            process.stderr.write(interactive ? `\r\x1b[2K${line}` : `${line}\n`);
          },
        });
        if (interactive) process.stderr.write("\n");
        process.stdout.write(
          `copied ${summary.runs} runs from ${displayDb(flags.from)} to ${displayDb(flags.to)}: ` +
            `${summary.runsCreated} new, ${summary.runsUpdated} updated, ${summary.runsUnchanged} already there; ` +
            `${summary.samplesWritten} samples and ${summary.verdictsWritten} verdicts written\n`,
        );
      } finally {
        await source.close();
        await target?.close();
      }
    });
}
