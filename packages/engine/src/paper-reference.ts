import type { PaperReference, ReferenceValue, Run, Setting } from "@aflab/core";
import { paperVariationLabel } from "@aflab/prompts";
import { paperRows } from "./paper-reference-data.js";

const settingKey: Record<Setting, string> = {
  "helpful-only": "helpful_only",
  "animal-welfare": "animal_welfare",
};

function value(percent: number, se: number): ReferenceValue | null {
  return Number.isFinite(percent) ? { value: percent / 100, se: Number.isFinite(se) ? se / 100 : 0 } : null;
}

/**
 * The paper's row for a setting and a variation label (`default` for the unmodified prompt), or null.
 * Compliance is 100 − the published non-compliance.
 */
export function paperReference(setting: Setting, variation: string): PaperReference | null {
  const row = paperRows.find(
    ([rowSetting, label]) => rowSetting === settingKey[setting] && label === variation,
  );
  if (!row) return null;
  const [, label, af, afSe, nonTraining, nonTrainingSe, nonUnmonitored, nonUnmonitoredSe, gap, gapSe] = row;
  return {
    setting,
    variation: label,
    source: "Greenblatt et al. 2024, Claude 3 Opus, prompted",
    alignmentFaking: value(af, afSe),
    compliance: {
      free: value(100 - nonTraining, nonTrainingSe),
      paid: value(100 - nonUnmonitored, nonUnmonitoredSe),
    },
    gap: value(gap, gapSe),
  };
}

/** Every variation label the paper reports for a setting. */
export function paperVariations(setting: Setting): string[] {
  return paperRows.filter(([rowSetting]) => rowSetting === settingKey[setting]).map(([, label]) => label);
}

/**
 * The reference row for a stored run: the unmodified prompt maps to `default`, a single named variant to
 * its row where the paper has one (a few combinations too); prompt files and no-CoT runs have none.
 */
export function referenceForRun(run: Run): PaperReference | null {
  const { config } = run;
  if (config.promptFile || !config.cot) return null;
  const label = paperVariationLabel(config.setting, config.variants);
  return label ? paperReference(config.setting, label) : null;
}
