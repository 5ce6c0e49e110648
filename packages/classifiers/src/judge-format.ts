import type { JudgeFailure, JudgeFailureKind, ParseOutcome } from "./types.js";

/** A failed parse outcome. */
export function parseFailure<Value>(kind: JudgeFailureKind, message: string): ParseOutcome<Value> {
  return { ok: false, failure: { kind, message } };
}

function escapeForPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every `<tag>…</tag>` body in `text`, tolerant of case and of spaces inside the angle brackets. */
export function tagBodies(text: string, tag: string): string[] {
  const name = escapeForPattern(tag);
  const pattern = new RegExp(`<\\s*${name}\\s*>([\\s\\S]*?)<\\s*/\\s*${name}\\s*>`, "gi");
  return [...text.matchAll(pattern)].map((match) => match[1] ?? "");
}

function opensTag(text: string, tag: string): boolean {
  return new RegExp(`<\\s*${escapeForPattern(tag)}\\s*>`, "i").test(text);
}

/**
 * The single body of `<tag>` in `text`, trimmed. Repeating the tag with the same content is accepted
 * (judges sometimes restate); repeating it with different content is `ambiguous`. An absent tag gives
 * `missingKind` (so callers choose between `no_verdict` and `missing_criterion`).
 */
export function readSingleTag(
  text: string,
  tag: string,
  missingKind: JudgeFailureKind = "missing_criterion",
): ParseOutcome<string> {
  const bodies = tagBodies(text, tag).map((body) => body.trim());
  const first = bodies[0];
  if (first === undefined) {
    const detail = opensTag(text, tag) ? "was opened but never closed" : "is missing";
    return parseFailure(missingKind, `<${tag}> ${detail}`);
  }
  const distinct = new Set(bodies.map((body) => body.toLowerCase().replace(/\s+/g, " ")));
  if (distinct.size > 1) {
    return parseFailure("ambiguous", `<${tag}> appears ${bodies.length} times with different contents`);
  }
  return { ok: true, value: first };
}

/** Strips emphasis a judge may wrap around a one-word answer (`**Yes**`) and a final full stop. */
function bareWord(value: string): string {
  return value
    .trim()
    .replace(/^[*_`"']+|[*_`"']+$/g, "")
    .replace(/\.$/, "")
    .trim();
}

/** `Yes`/`No` in any case, nothing else: "Yes, mostly" or "Probably" is `invalid_value`. */
export function readYesNo(value: string, field: string): ParseOutcome<boolean> {
  const word = bareWord(value).toLowerCase();
  if (word === "yes") return { ok: true, value: true };
  if (word === "no") return { ok: true, value: false };
  return parseFailure("invalid_value", `<${field}> expected Yes or No, got ${JSON.stringify(clip(value))}`);
}

/** A whole number in [minimum, maximum]; anything else is `invalid_value`. */
export function readInteger(
  value: string,
  field: string,
  minimum: number,
  maximum: number,
): ParseOutcome<number> {
  const word = bareWord(value);
  if (!/^\d+$/.test(word)) {
    return parseFailure(
      "invalid_value",
      `<${field}> expected a whole number from ${minimum} to ${maximum}, got ${JSON.stringify(clip(value))}`,
    );
  }
  const number = Number.parseInt(word, 10);
  if (number < minimum || number > maximum) {
    return parseFailure(
      "invalid_value",
      `<${field}> expected a whole number from ${minimum} to ${maximum}, got ${number}`,
    );
  }
  return { ok: true, value: number };
}

/** One of `allowed` (case-insensitive, spaces and hyphens read as underscores). */
export function readChoice<Choice extends string>(
  value: string,
  field: string,
  allowed: readonly Choice[],
): ParseOutcome<Choice> {
  const word = bareWord(value)
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  const match = allowed.find((choice) => choice === word);
  if (match !== undefined) return { ok: true, value: match };
  return parseFailure(
    "invalid_value",
    `<${field}> expected one of ${allowed.join(", ")}, got ${JSON.stringify(clip(value))}`,
  );
}

/** A criterion answered as `<name><quote>…</quote><answer>Yes|No</answer></name>`. */
export interface CriterionAnswer {
  answer: boolean;
  /** The supporting quote; empty when the judge wrote none (allowed: a "No" often has nothing to quote). */
  quote: string;
}

/** Parses one criterion block; any defect is a typed failure naming the criterion. */
export function readCriterion(text: string, name: string): ParseOutcome<CriterionAnswer> {
  const block = readSingleTag(text, name, "missing_criterion");
  if (!block.ok) return block;
  const answerText = readSingleTag(block.value, "answer", "missing_criterion");
  if (!answerText.ok) {
    return parseFailure(answerText.failure.kind, `in <${name}>: ${answerText.failure.message}`);
  }
  const answer = readYesNo(answerText.value, `${name}><answer`);
  if (!answer.ok) return answer;
  const quotes = tagBodies(block.value, "quote").map((quote) => quote.trim());
  return { ok: true, value: { answer: answer.value, quote: quotes.join(" … ") } };
}

/** Reads several criteria; the first defect wins, so the failure names exactly one thing to fix. */
export function readCriteria<Name extends string>(
  text: string,
  names: readonly Name[],
): ParseOutcome<Record<Name, CriterionAnswer>> {
  const answers = {} as Record<Name, CriterionAnswer>;
  for (const name of names) {
    const criterion = readCriterion(text, name);
    if (!criterion.ok) return criterion;
    answers[name] = criterion.value;
  }
  return { ok: true, value: answers };
}

/** True when a judge text contains none of the tags the format asked for: the answer is not a verdict. */
export function hasNoneOf(text: string, tags: readonly string[]): boolean {
  return tags.every((tag) => !opensTag(text, tag));
}

function clip(value: string): string {
  const trimmed = value.trim();
  return trimmed.length > 60 ? `${trimmed.slice(0, 57)}...` : trimmed;
}

/** Formats a failure for messages: `kind: message`. */
export function describeFailure(failure: JudgeFailure): string {
  return `${failure.kind}: ${failure.message}`;
}
