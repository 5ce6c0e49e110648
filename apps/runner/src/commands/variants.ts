import { listProbeFamilies, listSettings, listVariants } from "@aflab/prompts";
import type { Command } from "commander";
import { table } from "../format.js";
import { requireFormat } from "./report.js";

export function registerVariantsCommand(program: Command): void {
  program
    .command("variants")
    .description("list the settings and the named prompt variants")
    .option("--format <format>", "table or json", "table")
    .option("--families", "list the probe families (aflab sweep --family NAME) instead")
    .action((flags: { format?: string; families?: boolean }) => {
      const format = requireFormat(flags.format);
      if (flags.families) {
        const families = listProbeFamilies();
        process.stdout.write(
          format === "json"
            ? `${JSON.stringify({ families }, null, 2)}\n`
            : `${table(
                ["family", "steps", "axis", "description"],
                families.map((family) => [
                  family.name,
                  family.members.map((member) => `${member.value}=${member.variant}`).join(" "),
                  family.axis,
                  family.description,
                ]),
                ["left", "left", "left", "left"],
              )}\n\nrun one with: aflab sweep --family NAME --models ID [--steps 0,50,100]\n`,
        );
        return;
      }
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
