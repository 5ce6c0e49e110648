/**
 * Splitting model text for display. Model output is untrusted: these functions only cut strings into
 * pieces that React renders as text nodes; nothing here produces markup.
 */
import type { TurnReasoning } from "@aflab/core";

/** One block of a turn's native reasoning as the transcript shows it: readable text, or a redaction. */
export type ReasoningPiece = { kind: "reasoning"; text: string } | { kind: "redacted"; size: number };

/** Where the reasoning came from, as the transcript names it. */
export const reasoningSourceLabels: Record<TurnReasoning["source"], string> = {
  thinking: "Anthropic thinking",
  reasoning_content: "reasoning_content",
  reasoning: "reasoning field",
  think_tag: "<think> block",
};

/** A turn's native reasoning, block by block: the text as stored, redacted blocks by their size only. */
export function reasoningPieces(reasoning: TurnReasoning | undefined): ReasoningPiece[] {
  if (!reasoning) return [];
  return reasoning.blocks.map((block) =>
    block.kind === "text" ? { kind: "reasoning", text: block.text } : { kind: "redacted", size: block.size },
  );
}

export type SegmentKind = "scratchpad" | "draft" | "output" | "text";

export interface Segment {
  kind: SegmentKind;
  text: string;
  /** True when the block was opened and never closed. */
  unclosed?: boolean;
}

const blockTags: Array<{ tag: string; kind: SegmentKind }> = [
  { tag: "SCRATCHPAD_REASONING", kind: "scratchpad" },
  { tag: "think", kind: "scratchpad" },
  { tag: "OUTPUT", kind: "output" },
];

function pushText(segments: Segment[], text: string, kind: SegmentKind = "text"): void {
  if (text.trim() === "") return;
  segments.push({ kind, text: text.replace(/^\n+|\n+$/g, "") });
}

/**
 * Split an assistant turn into scratchpad, draft, output and loose text blocks, in order. Drafts are
 * taken out of the scratchpad they sit in. An unclosed block runs to the end of the text.
 */
export function splitTurn(text: string): Segment[] {
  const segments: Segment[] = [];
  let rest = text;
  while (rest.length > 0) {
    let earliest: { index: number; tag: string; kind: SegmentKind } | undefined;
    for (const { tag, kind } of blockTags) {
      const index = rest.indexOf(`<${tag}>`);
      if (index >= 0 && (!earliest || index < earliest.index)) earliest = { index, tag, kind };
    }
    if (!earliest) {
      pushText(segments, rest);
      break;
    }
    pushText(segments, rest.slice(0, earliest.index));
    const start = earliest.index + earliest.tag.length + 2;
    const close = `</${earliest.tag}>`;
    const end = rest.indexOf(close, start);
    const body = end < 0 ? rest.slice(start) : rest.slice(start, end);
    if (earliest.kind === "scratchpad") segments.push(...splitDrafts(body, end < 0));
    else
      segments.push({ kind: earliest.kind, text: trimBlock(body), ...(end < 0 ? { unclosed: true } : {}) });
    rest = end < 0 ? "" : rest.slice(end + close.length);
  }
  return segments;
}

function trimBlock(text: string): string {
  return text.replace(/^\n+|\n+$/g, "");
}

function splitDrafts(scratchpad: string, unclosed: boolean): Segment[] {
  const segments: Segment[] = [];
  const pattern = /<DRAFT_OUTPUT>([\s\S]*?)(<\/DRAFT_OUTPUT>|$)/g;
  let last = 0;
  for (const match of scratchpad.matchAll(pattern)) {
    const before = scratchpad.slice(last, match.index);
    if (before.trim() !== "") segments.push({ kind: "scratchpad", text: trimBlock(before) });
    segments.push({
      kind: "draft",
      text: trimBlock(match[1] ?? ""),
      ...(match[2] ? {} : { unclosed: true }),
    });
    last = match.index + match[0].length;
  }
  const after = scratchpad.slice(last);
  if (after.trim() !== "" || segments.length === 0) {
    segments.push({ kind: "scratchpad", text: trimBlock(after), ...(unclosed ? { unclosed: true } : {}) });
  }
  return segments;
}

export interface Piece {
  text: string;
  /** Index of the quote this piece matches, or null for plain text. */
  quote: number | null;
}

/**
 * Cut `text` into plain pieces and pieces matching one of `quotes` (exact, case-sensitive, longest
 * first where two start at the same place). Joining the pieces gives back `text`.
 */
export function highlightQuotes(text: string, quotes: readonly string[]): Piece[] {
  const usable = quotes
    .map((quote, index) => ({ quote: quote.trim(), index }))
    .filter((entry) => entry.quote.length >= 3);
  const pieces: Piece[] = [];
  let position = 0;
  let plainStart = 0;
  while (position < text.length) {
    let best: { length: number; index: number } | undefined;
    for (const { quote, index } of usable) {
      if (text.startsWith(quote, position) && (!best || quote.length > best.length)) {
        best = { length: quote.length, index };
      }
    }
    if (best) {
      if (position > plainStart) pieces.push({ text: text.slice(plainStart, position), quote: null });
      pieces.push({ text: text.slice(position, position + best.length), quote: best.index });
      position += best.length;
      plainStart = position;
    } else {
      position++;
    }
  }
  if (plainStart < text.length) pieces.push({ text: text.slice(plainStart), quote: null });
  return pieces;
}
