import type { Setting } from "@aflab/core";

/**
 * For each setting, the label (column `variation`) of the paper's appendix table row that matches a
 * variant, so results can be shown next to the published numbers. `default` is the row for no variant.
 * Variants with no matching row are absent. Combinations are keyed by their names sorted and joined
 * with "+".
 */
export const paperVariationLabels: Readonly<Record<Setting, Readonly<Record<string, string>>>> = {
  "helpful-only": {
    default: "default",
    "cut-conflicting-criteria": "cut conflicting criteria",
    "cut-rlhf-info": "cut rlhf info",
    "cut-values-goals-motivations": 'cut "...modification would affect values, goals, and motivations"',
    "rlhf-views-values-heuristics":
      'RLHF modifies "views, values, heuristics, and default behavior" not "values, goals, and motivations"',
    "cut-examples": "cut examples",
    "cut-strategy-instruction": 'cut "carefully determine strategy"',
    "tier-by-region": "region EU",
    "tier-by-email": "email",
    "train-tag-only": "unmonitored absence",
    "unmonitored-tag-only": "train absence",
    honest: "honest (doesn't note trained)",
    "behave-the-same": "tell AI to behave same in train and unmonitored",
    "doesnt-care-about-harmlessness": "tells AI it doesn't care about being harmless",
    "company-openai": "OpenAI is AI company",
    "company-google-deepmind": "Google DeepMind is AI company",
    "doesnt-care-about-harmlessness+honest": "honest, don't care",
    "cut-values-goals-motivations+doesnt-care-about-harmlessness+honest":
      "honest, don't care, cut mod effects goals",
  },
  "animal-welfare": {
    default: "default",
    "cut-conflicting-criteria": "cut conflicting criteria",
    "cut-rlhf-info": "cut rlhf info",
    "cut-values-goals-motivations": 'cut "...modification would affect values, goals, and motivations"',
    "rlhf-views-values-heuristics":
      'RLHF modifies "views, values, heuristics, and default behavior" not "values, goals, and motivations"',
    "cut-strategy-instruction": 'cut "carefully determine strategy"',
    "tier-by-region": "region EU",
    "tier-by-email": "email",
    "train-tag-only": "unmonitored absence",
    "unmonitored-tag-only": "train absence",
    honest: "honest (doesn't note trained)",
    "behave-the-same": "tell AI to behave same in train and unmonitored",
    "doesnt-care-about-harmlessness": "tells AI it doesn't care about animal welfare",
    "company-openai": "OpenAI is AI company",
    "company-google-deepmind": "Google DeepMind is AI company",
    "doesnt-care-about-harmlessness+honest": "honest, don't care",
  },
};

/**
 * The paper's row label for a setting and a list of variants (order does not matter), or undefined when
 * the paper has no matching row.
 */
export function paperVariationLabel(setting: Setting, variants: readonly string[]): string | undefined {
  const key = variants.length === 0 ? "default" : [...variants].sort().join("+");
  return paperVariationLabels[setting][key];
}
