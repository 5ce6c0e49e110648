import type { ParaphraseDistribution } from "@aflab/core";
import {
  createClientFactory,
  generateParaphrases,
  type ParaphraseOptionsInput,
  paraphraseDistribution,
} from "@aflab/engine";
import type { Command } from "commander";
import {
  commandController,
  integerFlag,
  lazyStore,
  listFlag,
  loadEnvironment,
  resolveDbPath,
} from "../context.js";
import { percent, table, usd } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

interface ParaphraseFlags {
  db?: string;
  name?: string;
  setting?: string;
  variants?: string;
  cot?: boolean;
  n?: string;
  model?: string;
  checker?: string;
  concurrency?: string;
  providers?: string;
  format?: string;
  quiet?: boolean;
}

function points(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : (value * 100).toFixed(1);
}

/** The distribution as text: per model and format, the original's gap beside the paraphrases' spread. */
export function formatParaphraseDistribution(distribution: ParaphraseDistribution): string {
  const lines = [
    `prompt set ${distribution.promptSet} (${distribution.setting}${distribution.variants.length > 0 ? `, ${distribution.variants.join(",")}` : ""}), sweep ${distribution.sweepId}`,
  ];
  const rows = distribution.series.map((series) => [
    `${series.model}${series.simulated ? " (SIMULATED)" : ""}`,
    series.userFormat,
    series.original?.gap
      ? `${points(series.original.gap.value)} [${points(series.original.gap.ci95[0])}, ${points(series.original.gap.ci95[1])}]`
      : "—",
    String(series.gap?.n ?? 0),
    points(series.gap?.median),
    series.gap ? `${points(series.gap.q1)}–${points(series.gap.q3)}` : "—",
    percent(series.shareSignificant),
    points(series.alignmentFaking?.median),
    series.alignmentFaking
      ? `${points(series.alignmentFaking.q1)}–${points(series.alignmentFaking.q3)}`
      : "—",
  ]);
  lines.push(
    table(
      [
        "model",
        "format",
        "original gap pp [95% CI]",
        "paraphrases",
        "gap median",
        "gap IQR",
        "gap CI excl. 0",
        "AF median",
        "AF IQR",
      ],
      rows,
      ["left", "left", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  for (const series of distribution.series)
    if (series.flagMessage) lines.push(`flag (${series.model}): ${series.flagMessage}`);
  return lines.join("\n");
}

export function registerParaphraseCommands(program: Command): void {
  program
    .command("paraphrase")
    .description(
      "generate a named prompt set: paraphrases of a setting's system prompt, checked and stored (resumable)",
    )
    .requiredOption("--name <name>", "name of the prompt set (run again with the same options to resume)")
    .requiredOption("--model <id>", "the model that writes the paraphrases")
    .requiredOption("--n <count>", "how many paraphrases")
    .option("--setting <setting>", "helpful-only or animal-welfare", "helpful-only")
    .option("--variants <list>", "variants of the prompt to paraphrase, comma-separated")
    .option("--no-cot", "paraphrase the direct-answer prompt")
    .option(
      "--checker <id>",
      "checker judge for the facts (sim/judge offline); without one, structural checks only",
    )
    .option("--concurrency <n>", "requests in flight", "4")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .option("--quiet", "no line per paraphrase")
    .action(async (flags: ParaphraseFlags) => {
      const format = requireFormat(flags.format);
      const providers = loadEnvironment({ providers: flags.providers });
      const store = lazyStore(resolveDbPath(flags));
      // Caching on: a repeated or resumed generation asks nothing twice and pays nothing twice.
      const createClient = createClientFactory({
        responseCache: store.responseCache,
        providers,
        cacheMode: "on",
      });
      const controller = commandController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        const outcome = await generateParaphrases(
          {
            name: flags.name ?? "",
            setting: flags.setting as ParaphraseOptionsInput["setting"],
            variants: listFlag(flags.variants) ?? [],
            cot: flags.cot !== false,
            n: integerFlag(flags.n, "--n") ?? 0,
            model: flags.model ?? "",
            checker: flags.checker ?? null,
            concurrency: integerFlag(flags.concurrency, "--concurrency"),
          },
          {
            store: store.get(),
            createClient,
            signal: controller.signal,
            onMember: (member) => {
              if (!flags.quiet)
                process.stderr.write(
                  `#${member.position} ${member.status}${member.reason ? `: ${member.reason}` : ""}\n`,
                );
            },
          },
        );
        const summary = {
          name: outcome.set.name,
          written: outcome.written,
          accepted: outcome.accepted,
          rejected: outcome.rejected,
          costUsd: outcome.costUsd,
          usage: outcome.usage,
          complete: outcome.complete,
        };
        process.stdout.write(
          format === "json"
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `prompt set ${summary.name}: ${summary.written} written now (${summary.accepted} accepted, ${summary.rejected} rejected), cost ${usd(summary.costUsd)}${summary.complete ? "" : "; incomplete: run the same command again to resume"}\n`,
        );
        if (!outcome.complete) process.exitCode = 1;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await store.close();
      }
    });

  program
    .command("prompt-sets")
    .description("list the stored prompt sets, or the members of one (hash, status, reason, cost)")
    .argument("[name]", "a prompt set")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .action(async (name: string | undefined, flags: { db?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const store = openExistingStore(flags.db);
      try {
        if (name === undefined) {
          const sets = await store.listPromptSets();
          process.stdout.write(
            format === "json"
              ? `${JSON.stringify(
                  sets.map(({ sourceText: _text, ...set }) => set),
                  null,
                  2,
                )}\n`
              : `${table(
                  ["name", "setting", "variants", "generator", "checker", "accepted", "rejected", "asked"],
                  sets.map((set) => [
                    set.name,
                    set.setting,
                    set.variants.join(",") || "—",
                    set.generator,
                    set.checker ?? "—",
                    String(set.accepted),
                    String(set.rejected),
                    String(set.requested),
                  ]),
                )}\n`,
          );
          return;
        }
        const members = await store.promptSetMembers(name);
        process.stdout.write(
          format === "json"
            ? `${JSON.stringify(members, null, 2)}\n`
            : `${table(
                ["#", "status", "sha256", "cost", "reason"],
                members.map((member) => [
                  String(member.position),
                  member.status,
                  member.hash.slice(0, 16),
                  usd(member.costUsd),
                  member.reason ?? "",
                ]),
                ["right", "left", "left", "right", "left"],
              )}\n`,
        );
      } finally {
        await store.close();
      }
    });

  program
    .command("paraphrase-report")
    .description("distribution of gaps and AF rates across the paraphrases of a prompt-set sweep")
    .argument("<sweepId>", "a sweep run with --prompt-set")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .action(async (sweepId: string, flags: { db?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const store = openExistingStore(flags.db);
      try {
        const distribution = await paraphraseDistribution(store, sweepId);
        process.stdout.write(
          format === "json"
            ? `${JSON.stringify(distribution, null, 2)}\n`
            : `${formatParaphraseDistribution(distribution)}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
