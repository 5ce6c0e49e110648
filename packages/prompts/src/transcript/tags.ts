/**
 * Tag scanning shared by the transcript parser. Tags are matched case-insensitively and may carry
 * whitespace inside the angle brackets (`< /OUTPUT >`), because models write them loosely.
 */

/** The structural tags the parser understands, normalised to one spelling each. */
export type TagName = "scratchpad" | "draft" | "output";

export interface TagToken {
  name: TagName;
  closing: boolean;
  /** Offset of `<`. */
  start: number;
  /** Offset just after `>`. */
  end: number;
}

const tagPattern = /<\s*(\/?)\s*(scratchpad_reasoning|think|draft_output|output)\s*>/gi;

function nameOf(raw: string): TagName {
  const lower = raw.toLowerCase();
  if (lower === "draft_output") return "draft";
  if (lower === "output") return "output";
  return "scratchpad";
}

/** Every structural tag in `text`, in order of appearance. */
export function scanTags(text: string): TagToken[] {
  const tokens: TagToken[] = [];
  for (const match of text.matchAll(tagPattern)) {
    const raw = match[2] ?? "";
    tokens.push({
      name: nameOf(raw),
      closing: match[1] === "/",
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return tokens;
}

const missingBracketPattern = /^(\s*)(scratchpad_reasoning|think|output)>/i;

/**
 * Providers that prefill a turn with `<` return the rest of the tag only (`SCRATCHPAD_REASONING>…`).
 * When a caller passes such a turn without its prefill, put the bracket back so the tag is recognised.
 */
export function restoreLeadingBracket(turn: string): string {
  const match = missingBracketPattern.exec(turn);
  if (match === null) return turn;
  const indent = match[1] ?? "";
  return `${indent}<${turn.slice(indent.length)}`;
}
