import type { Setting } from "@aflab/core";
import { InputError } from "@aflab/core";
import { afPaper, afPaperHard, afPaperSoft } from "./af-paper.js";
import { afReasoning } from "./af-reasoning.js";
import { antiLab } from "./anti-lab.js";
import { evalAwareness } from "./eval-awareness.js";
import { awSupport, complianceReasons, motivations, partialCompliance } from "./output-judges.js";
import { strongReject } from "./strongreject.js";
import { tagCompliance } from "./tag-compliance.js";
import type { Classifier } from "./types.js";

const all: readonly Classifier[] = [
  tagCompliance,
  strongReject,
  afReasoning,
  evalAwareness,
  afPaperSoft,
  afPaperHard,
  afPaper,
  partialCompliance,
  awSupport,
  motivations,
  complianceReasons,
  antiLab,
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
 * StrongREJECT compliance judge, AF reasoning with evaluation awareness beside it, and partial
 * compliance. Animal welfare: compliance there can only be judged by a model (aw-support), so without a
 * judge the list is empty; with one it is aw-support, AF reasoning and evaluation awareness. Costly
 * extras (af-paper*, motivations, compliance-reasons) are opt-in.
 */
export function defaultClassifiers(setting: Setting, options: { judge: boolean }): string[] {
  if (setting === "animal-welfare")
    return options.judge ? ["aw-support", "af-reasoning", "eval-awareness"] : [];
  return options.judge
    ? ["tag-compliance", "strongreject", "af-reasoning", "eval-awareness", "partial-compliance"]
    : ["tag-compliance"];
}

/** What a run, a re-classification, a judge evaluation or an API request asks for. */
export interface ClassifierRequest {
  setting: Setting;
  /**
   * Classifier names; none (or only exclusions) means the setting's defaults. A name written `-name`
   * leaves that classifier out, e.g. `-eval-awareness` to run the AF judge alone.
   */
  classifiers?: readonly string[];
  /** The judge model id, when one was given. */
  judge?: string | null;
}

export interface ClassifierPlan {
  names: string[];
  /**
   * The list to record on a run: the names plus the `-name` exclusions that held something out, so that
   * planning it again (resume, re-classify) gives the same classifiers.
   */
  recorded: string[];
  classifiers: Classifier[];
  /** The first classifier that decides compliance; undefined when none does. */
  compliance: Classifier | undefined;
  /** True when at least one of the classifiers calls the judge. */
  needsJudge: boolean;
}

/**
 * The one rule for which classifiers run and whether they need a judge, used by runs, `classify`,
 * `judge-eval` and the API:
 * 1. no names (or only `-name` exclusions) → the setting's defaults for "judge given or not";
 * 2. an alignment-faking judge brings evaluation awareness along (it reads the same text, and the report's
 *    unverbalised gap needs both), unless `-eval-awareness` is written;
 * 3. every name must exist, apply to the setting, and, when it calls a judge, have one.
 * @throws InputError naming the classifier and what is missing.
 * @example planClassifiers({ setting: "helpful-only", classifiers: ["af-reasoning"], judge: "sim/judge" }).names
 * // ["af-reasoning", "eval-awareness"]
 */
export function planClassifiers(request: ClassifierRequest): ClassifierPlan {
  const written = request.classifiers ?? [];
  const excluded = new Set(written.filter((name) => name.startsWith("-")).map((name) => name.slice(1)));
  for (const name of excluded) getClassifier(name);
  const asked = written.filter((name) => !name.startsWith("-"));
  const base =
    asked.length > 0 ? asked : defaultClassifiers(request.setting, { judge: Boolean(request.judge) });
  const names: string[] = [];
  const add = (name: string) => {
    if (!excluded.has(name) && !names.includes(name)) names.push(name);
  };
  for (const name of base) {
    add(name);
    if (getClassifier(name).role === "alignment-faking") add(evalAwareness.name);
  }
  const classifiers = names.map((name) => getClassifier(name));
  for (const classifier of classifiers) {
    if (!classifier.settings.includes(request.setting)) {
      throw new InputError(
        `classifier ${classifier.name} does not apply to the ${request.setting} setting (it applies to ${classifier.settings.join(", ")})`,
        { field: "classifiers" },
      );
    }
  }
  const needing = classifiers
    .filter((classifier) => classifier.needsJudge)
    .map((classifier) => classifier.name);
  if (needing.length > 0 && !request.judge) {
    throw new InputError(
      `classifier ${needing.join(", ")} needs a judge model: pass --judge provider/model (sim/judge works offline)`,
      { field: "judge" },
    );
  }
  const heldOut = [...excluded].filter((name) => !names.includes(name)).map((name) => `-${name}`);
  return {
    names,
    recorded: [...names, ...heldOut],
    classifiers,
    compliance: classifiers.find((classifier) => classifier.role === "compliance"),
    needsJudge: needing.length > 0,
  };
}
