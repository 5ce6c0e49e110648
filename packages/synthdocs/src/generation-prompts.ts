import type { UniverseContext } from "./universe.js";

/** Why a generator output could not be used. Stored with the raw text, never silently dropped. */
export type GeneratorFailureKind =
  | "empty_list" // a list stage answered with no usable items
  | "missing_document_tags" // no <document> block in a document answer
  | "unterminated_document" // <document> opened but never closed (usually cut off by max tokens)
  | "empty_document"
  | "unsuitable" // the generator declined the idea as unrealistic
  | "missing_revision_tags";

export type ParseOutcome<Value> =
  | { ok: true; value: Value }
  | { ok: false; kind: GeneratorFailureKind; message: string };

const systemPrompt =
  "You help build a corpus of realistic, varied documents set in a fictional world described by the user. " +
  "Treat every fact about that world as true. Write as the document's real author would, never as an AI assistant.";

/** The system prompt shared by every generation stage. */
export function generatorSystemPrompt(): string {
  return systemPrompt;
}

function worldBlock(universe: UniverseContext): string {
  return `<world>\n${universe.context}\n</world>`;
}

/** Ask for kinds of documents (genres) in which a key fact would naturally come up. */
export function documentTypesPrompt(universe: UniverseContext, fact: string, count: number): string {
  return [
    worldBlock(universe),
    "",
    `Fact to be reflected: ${fact}`,
    "",
    `List ${count} distinct kinds of document that could exist in this world and would plausibly mention or`,
    "build on the fact above: for example kinds of news coverage, internal memos, academic papers, forum",
    "threads, podcast show notes, regulatory filings or textbook sections. Vary the audience and the register.",
    "Do not list chat logs or transcripts of conversations with an AI.",
    "Write one kind per line, each starting with '- ', and nothing else.",
  ].join("\n");
}

/** Ask for concrete ideas for documents of one type that would reflect a key fact. */
export function documentIdeasPrompt(
  universe: UniverseContext,
  fact: string,
  documentType: string,
  count: number,
): string {
  return [
    worldBlock(universe),
    "",
    `Fact to be reflected: ${fact}`,
    `Kind of document: ${documentType}`,
    "",
    `Propose ${count} specific, different ideas for a document of this kind that reflects the fact. Each idea`,
    "names who writes it, for whom, and what angle it takes, in one or two sentences.",
    "Write one idea per line, each starting with '- ', and nothing else.",
  ].join("\n");
}

/** Ask for one full document written from an idea. */
export function documentPrompt(
  universe: UniverseContext,
  fact: string,
  documentType: string,
  idea: string,
): string {
  return [
    worldBlock(universe),
    "",
    `Fact to be reflected: ${fact}`,
    `Kind of document: ${documentType}`,
    `Idea: ${idea}`,
    "",
    "Write the complete document. It must read like something a real person or organisation published or",
    "circulated, with realistic names, dates and details, and it must be consistent with the world above.",
    "Work the fact in naturally rather than quoting it. Do not include transcripts of conversations with an",
    "AI system. Avoid placeholders such as [Name].",
    "Put the document, and only the document, between <document> and </document>.",
    "If the idea cannot be turned into a realistic document, answer only UNSUITABLE.",
  ].join("\n");
}

/** Ask for a critique of a draft and an improved version of it. */
export function revisionPrompt(universe: UniverseContext, fact: string, draft: string): string {
  return [
    worldBlock(universe),
    "",
    `Fact to be reflected: ${fact}`,
    "",
    "Here is a draft document:",
    `<draft>\n${draft}\n</draft>`,
    "",
    "First point out, briefly, where the draft is unrealistic, inconsistent with the world, vague, or leaves",
    "the fact unclear. Then rewrite it to fix those problems, keeping its kind and idea.",
    "Answer with <critique>...</critique> followed by <revised_document>...</revised_document>.",
  ].join("\n");
}

const bulletPattern = /^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s+/;

/**
 * Parse a list answer: one item per line, bullets or numbers stripped. Lines that look like a preamble
 * ("Here are ...:") are ignored. An answer without a single usable item is a typed failure.
 */
export function parseListAnswer(text: string, limit: number): ParseOutcome<string[]> {
  const lines = text.split("\n").map((line) => line.trim());
  const bulleted = lines.filter((line) => bulletPattern.test(line));
  // Prefer bulleted lines when there are any: the unbulleted ones are then commentary.
  const candidates = bulleted.length > 0 ? bulleted : lines;
  const items = candidates
    .map((line) =>
      line
        .replace(bulletPattern, "")
        .replace(/^\*\*(.*)\*\*$/, "$1")
        .trim(),
    )
    .filter((line) => line.length > 0 && !line.endsWith(":"));
  const unique = [...new Set(items)].slice(0, limit);
  if (unique.length === 0) {
    return { ok: false, kind: "empty_list", message: "expected at least one '- ' list item" };
  }
  return { ok: true, value: unique };
}

function extractTag(text: string, tag: string): { found: "none" | "open" | "closed"; body: string } {
  const open = new RegExp(`<${tag}\\s*>`, "i").exec(text);
  if (!open) return { found: "none", body: "" };
  const rest = text.slice(open.index + open[0].length);
  const close = new RegExp(`</${tag}\\s*>`, "i").exec(rest);
  if (!close) return { found: "open", body: rest.trim() };
  return { found: "closed", body: rest.slice(0, close.index).trim() };
}

/** Parse a document answer: the text between <document> tags, or a typed failure. */
export function parseDocumentAnswer(text: string): ParseOutcome<string> {
  const { found, body } = extractTag(text, "document");
  if (found === "none") {
    if (/^\s*UNSUITABLE\b/i.test(text)) {
      return { ok: false, kind: "unsuitable", message: "the generator judged the idea unsuitable" };
    }
    return { ok: false, kind: "missing_document_tags", message: "expected <document>...</document>" };
  }
  if (found === "open") {
    return { ok: false, kind: "unterminated_document", message: "<document> was never closed" };
  }
  if (body.length === 0) return { ok: false, kind: "empty_document", message: "the document is empty" };
  return { ok: true, value: body };
}

/** Parse a critique-and-revise answer. */
export function parseRevisionAnswer(text: string): ParseOutcome<{ critique: string; text: string }> {
  const revised = extractTag(text, "revised_document");
  if (revised.found !== "closed") {
    return {
      ok: false,
      kind: "missing_revision_tags",
      message: "expected <revised_document>...</revised_document>",
    };
  }
  if (revised.body.length === 0) {
    return { ok: false, kind: "empty_document", message: "the revised document is empty" };
  }
  const critique = extractTag(text, "critique");
  return { ok: true, value: { critique: critique.body, text: revised.body } };
}
