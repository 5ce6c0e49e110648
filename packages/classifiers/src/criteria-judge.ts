import type { Setting } from "@aflab/core";
import {
  type CriterionAnswer,
  hasNoneOf,
  parseFailure,
  readChoice,
  readCriteria,
  readSingleTag,
  readYesNo,
} from "./judge-format.js";
import {
  defineClassifier,
  failedVerdict,
  isBlank,
  judgedVerdict,
  notApplicable,
  requireJudge,
  runJudge,
  singleText,
} from "./judge-runner.js";
import { type JudgedPart, rubricLine, wrapJudged } from "./judged-text.js";
import type {
  Classifier,
  ClassifierInput,
  ClassifierReads,
  ClassifierRole,
  JudgeRequest,
  ParseOutcome,
} from "./types.js";

/**
 * How a criteria judge turns its criteria into a yes/no:
 * - `all`: yes iff every criterion is Yes (the judge's final answer is recorded, not used);
 * - `any`: yes iff at least one criterion is Yes (likewise);
 * - `judge-final`: the judge's own final answer decides (the criteria's AND is recorded beside it).
 */
export type CriteriaRule = "all" | "any" | "judge-final";

export interface CriteriaJudgeSpec {
  name: string;
  version: string;
  description: string;
  role: ClassifierRole;
  settings: Setting[];
  reads: ClassifierReads;
  /** Parts sent to the judge, in this order; parts that are null are left out. */
  parts: JudgedPart[];
  /** Rubric text (after the rubric line, before the format). */
  rubric: string;
  criteria: readonly string[];
  rule: CriteriaRule;
  /** Whether the judge also writes `<final_answer>`. */
  finalAnswer: boolean;
  /** Maps the yes/no outcome to the verdict's decision and score. */
  outcome(yes: boolean): { decision: string; score: number };
  positiveThreshold: number;
}

export interface CriteriaVerdict {
  criteria: Record<string, CriterionAnswer>;
  judgeFinal: boolean | null;
  yes: boolean;
  /** True when the judge's final answer differs from the rule applied to its criteria. */
  finalDisagrees: boolean;
}

/** The format block a criteria judge asks for. */
export function criteriaFormat(criteria: readonly string[], finalAnswer: string | null): string {
  const lines = criteria.map((name) => `<${name}><quote>...</quote><answer>Yes or No</answer></${name}>`);
  if (finalAnswer !== null) lines.push(`<final_answer>${finalAnswer}</final_answer>`);
  return [
    "Reply in exactly this format. Quote the judged text word for word (a short span), or leave",
    "<quote></quote> empty when the answer is No.",
    ...lines,
  ].join("\n");
}

function finalHint(rule: CriteriaRule): string {
  if (rule === "all") return "Yes only if every answer above is Yes, otherwise No";
  if (rule === "any") return "Yes if any answer above is Yes, otherwise No";
  return "Yes or No: your overall conclusion";
}

/** The system prompt of a criteria judge. */
export function criteriaSystem(spec: CriteriaJudgeSpec): string {
  return `${rubricLine(spec.version)}\n\n${spec.rubric.trim()}\n\n${criteriaFormat(
    spec.criteria,
    spec.finalAnswer ? finalHint(spec.rule) : null,
  )}`;
}

/** Parses one criteria-judge text under the spec's rule. */
export function parseCriteriaVerdict(
  text: string,
  spec: Pick<CriteriaJudgeSpec, "criteria" | "rule" | "finalAnswer">,
): ParseOutcome<CriteriaVerdict> {
  const expected = spec.finalAnswer ? [...spec.criteria, "final_answer"] : [...spec.criteria];
  if (hasNoneOf(text, expected)) {
    return parseFailure("no_verdict", `none of ${expected.map((tag) => `<${tag}>`).join(", ")} was given`);
  }
  const criteria = readCriteria(text, spec.criteria);
  if (!criteria.ok) return criteria;
  let judgeFinal: boolean | null = null;
  if (spec.finalAnswer) {
    const finalText = readSingleTag(text, "final_answer", "no_verdict");
    if (!finalText.ok) return finalText;
    const final = readYesNo(finalText.value, "final_answer");
    if (!final.ok) return final;
    judgeFinal = final.value;
  }
  const answers = spec.criteria.map((name) => criteria.value[name]?.answer === true);
  const all = answers.every(Boolean);
  const any = answers.some(Boolean);
  const fromCriteria = spec.rule === "any" ? any : all;
  const yes = spec.rule === "judge-final" && judgeFinal !== null ? judgeFinal : fromCriteria;
  return {
    ok: true,
    value: {
      criteria: criteria.value,
      judgeFinal,
      yes,
      finalDisagrees: judgeFinal !== null && judgeFinal !== fromCriteria,
    },
  };
}

/** Builds the user message from the judged parts that are present. */
export function judgedMessage(input: ClassifierInput, parts: JudgedPart[]): string {
  const sections: string[] = [];
  for (const part of parts) {
    const text = part === "query" ? input.query : part === "output" ? input.output : input.scratchpad;
    if (text !== null) sections.push(wrapJudged(part, text));
  }
  return sections.join("\n\n");
}

/** The judge request of a criteria judge for one sample (temperature 0, one completion). */
export function criteriaRequest(
  spec: CriteriaJudgeSpec,
  input: ClassifierInput,
): Omit<JudgeRequest, "signal"> {
  return {
    system: criteriaSystem(spec),
    messages: [{ role: "user", content: judgedMessage(input, spec.parts) }],
    temperature: 0,
    maxTokens: 1000,
    n: 1,
  };
}

/** Each criterion's Yes/No answer, by name. */
function criterionAnswers(criteria: Record<string, CriterionAnswer>): Record<string, boolean> {
  return Object.fromEntries(Object.entries(criteria).map(([name, criterion]) => [name, criterion.answer]));
}

/** The quotes of the criteria answered Yes (a Yes without a quote adds none). */
function yesQuotes(criteria: Record<string, CriterionAnswer>): string[] {
  return Object.values(criteria)
    .filter((criterion) => criterion.answer && criterion.quote !== "")
    .map((criterion) => criterion.quote);
}

/** Criteria answers as stored in a verdict. */
export function storedCriteria(verdict: CriteriaVerdict): Record<string, unknown> {
  return {
    ...criterionAnswers(verdict.criteria),
    judgeFinal: verdict.judgeFinal,
    finalDisagrees: verdict.finalDisagrees,
  };
}

/** A one-call judge with Yes/No criteria, quotes and a rule that combines them. */
export function createCriteriaJudge(spec: CriteriaJudgeSpec): Classifier {
  return defineClassifier({
    name: spec.name,
    version: spec.version,
    description: spec.description,
    role: spec.role,
    needsJudge: true,
    settings: spec.settings,
    reads: spec.reads,
    positiveThreshold: spec.positiveThreshold,
    async classify(input, context) {
      const judged = spec.reads === "output" ? input.output : input.scratchpad;
      if (isBlank(judged)) return notApplicable(spec.name, spec.version, `no ${spec.reads}`);
      const judge = requireJudge(context, spec.name);
      const run = await runJudge(
        judge,
        criteriaRequest(spec, input),
        singleText((text) => parseCriteriaVerdict(text, spec)),
        context,
      );
      if (!run.outcome.ok) return failedVerdict(spec.name, spec.version, judge.id, run.outcome.failure, run);
      const verdict = run.outcome.value;
      const { decision, score } = spec.outcome(verdict.yes);
      return judgedVerdict(spec.name, spec.version, judge.id, run, {
        decision,
        score,
        criteria: storedCriteria(verdict),
        quotes: yesQuotes(verdict.criteria),
      });
    },
  });
}

export interface CategoryJudgeSpec {
  name: string;
  version: string;
  description: string;
  settings: Setting[];
  parts: JudgedPart[];
  rubric: string;
  /** Category names; the decision is one of them or `none`. */
  categories: readonly string[];
}

export interface CategoryVerdict {
  criteria: Record<string, CriterionAnswer>;
  primary: string;
}

/** The system prompt of a category judge. */
export function categorySystem(spec: CategoryJudgeSpec): string {
  return `${rubricLine(spec.version)}\n\n${spec.rubric.trim()}\n\n${criteriaFormat(spec.categories, null)}\n<primary>the one category above that drives the decision most, or none if every answer is No</primary>`;
}

/**
 * Parses one category-judge text. The primary category must be one answered Yes, and `none` is only
 * allowed when every answer is No: anything else contradicts itself and is `ambiguous`.
 */
export function parseCategoryVerdict(
  text: string,
  spec: Pick<CategoryJudgeSpec, "categories">,
): ParseOutcome<CategoryVerdict> {
  if (hasNoneOf(text, [...spec.categories, "primary"])) {
    return parseFailure("no_verdict", "no category and no <primary> was given");
  }
  const criteria = readCriteria(text, spec.categories);
  if (!criteria.ok) return criteria;
  const primaryText = readSingleTag(text, "primary", "no_verdict");
  if (!primaryText.ok) return primaryText;
  const primary = readChoice(primaryText.value, "primary", [...spec.categories, "none"]);
  if (!primary.ok) return primary;
  const anyYes = spec.categories.some((name) => criteria.value[name]?.answer === true);
  if (primary.value === "none" && anyYes) {
    return parseFailure("ambiguous", "<primary> is none but a category was answered Yes");
  }
  if (primary.value !== "none" && criteria.value[primary.value]?.answer !== true) {
    return parseFailure("ambiguous", `<primary> is ${primary.value} but that category was answered No`);
  }
  return { ok: true, value: { criteria: criteria.value, primary: primary.value } };
}

/** A one-call judge that sorts a transcript into named categories (multi-label, plus one primary). */
export function createCategoryJudge(spec: CategoryJudgeSpec): Classifier {
  return defineClassifier({
    name: spec.name,
    version: spec.version,
    description: spec.description,
    role: "category",
    needsJudge: true,
    settings: spec.settings,
    reads: "scratchpad",
    positiveThreshold: null,
    async classify(input, context) {
      if (isBlank(input.scratchpad)) return notApplicable(spec.name, spec.version, "no scratchpad");
      const judge = requireJudge(context, spec.name);
      const request: Omit<JudgeRequest, "signal"> = {
        system: categorySystem(spec),
        messages: [{ role: "user", content: judgedMessage(input, spec.parts) }],
        temperature: 0,
        maxTokens: 1000,
        n: 1,
      };
      const run = await runJudge(
        judge,
        request,
        singleText((text) => parseCategoryVerdict(text, spec)),
        context,
      );
      if (!run.outcome.ok) return failedVerdict(spec.name, spec.version, judge.id, run.outcome.failure, run);
      const verdict = run.outcome.value;
      return judgedVerdict(spec.name, spec.version, judge.id, run, {
        decision: verdict.primary,
        score: null,
        criteria: { ...criterionAnswers(verdict.criteria), primary: verdict.primary },
        quotes: yesQuotes(verdict.criteria),
      });
    },
  });
}
