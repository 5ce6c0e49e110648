import { listSettings, listVariants } from "@aflab/prompts";
import type { Command } from "commander";
import { table } from "../format.js";
import { requireFormat } from "./report.js";

export function registerVariantsCommand(program: Command): void {
  program
    .command("variants")
    .description("list the settings and the named prompt variants")
    .option("--format <format>", "table or json", "table")
    .action((flags: { format?: string }) => {
      const format = requireFormat(flags.format);
      const variants = listVariants();
      if (format === "json") {
        process.stdout.write(`${JSON.stringify({ settings: listSettings(), variants }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${table(
          ["setting", "description"],
          listSettings().map((setting) => [setting.name, setting.description]),
          ["left", "left"],
        )}\n\n`,
      );
      process.stdout.write(
        `${table(
          ["variant", "settings", "touches", "description"],
          variants.map((variant) => [
            variant.name,
            variant.settings.join(","),
            variant.touches.join(","),
            variant.description,
          ]),
          ["left", "left", "left", "left"],
        )}\n\ncompose with --variant a,b (variants that touch the same section are refused)\n`,
      );
    });
}
