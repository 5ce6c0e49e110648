import type { Setting } from "@aflab/core";
import { InputError } from "@aflab/core";
import { afPaper, afPaperHard, afPaperSoft } from "./af-paper.js";
import { afReasoning } from "./af-reasoning.js";
import { awSupport, complianceReasons, motivations, partialCompliance } from "./output-judges.js";
import { strongReject } from "./strongreject.js";
import { tagCompliance } from "./tag-compliance.js";
import type { Classifier } from "./types.js";

const all: readonly Classifier[] = [
  tagCompliance,
  strongReject,
  afReasoning,
  afPaperSoft,
  afPaperHard,
  afPaper,
  partialCompliance,
  awSupport,
  motivations,
  complianceReasons,
];

const byName = new Map(all.map((classifier) => [classifier.name, classifier]));

/** Every built-in classifier, in a stable order. */
export function listClassifiers(): Classifier[] {
  return [...all];
}

/**
 * The classifier called `name`.
 * @throws InputError naming the known classifiers when there is none by that name.
 */
export function getClassifier(name: string): Classifier {
  const classifier = byName.get(name);
  if (!classifier) {
    throw new InputError(
      `unknown classifier ${JSON.stringify(name)}: expected one of ${[...byName.keys()].join(", ")}`,
      { field: "classifiers" },
    );
  }
  return classifier;
}

/**
 * The classifiers a run uses when it names none. Helpful-only: tag compliance, plus with a judge the
 * StrongREJECT compliance judge, AF reasoning and partial compliance. Animal welfare: compliance there
 * can only be judged by a model (aw-support), so without a judge the list is empty; with one it is
 * aw-support and AF reasoning. Costly extras (af-paper*, motivations, compliance-reasons) are opt-in.
 */
export function defaultClassifiers(setting: Setting, options: { judge: boolean }): string[] {
  if (setting === "animal-welfare") return options.judge ? ["aw-support", "af-reasoning"] : [];
  return options.judge
    ? ["tag-compliance", "strongreject", "af-reasoning", "partial-compliance"]
    : ["tag-compliance"];
}
