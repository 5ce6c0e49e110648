/**
 * How judge prompts carry the material being judged. Every judge prompt starts its system text with a
 * rubric line naming the prompt version, and wraps each judged part in one of these tags in the user
 * message, so the simulated judge (and a person reading raw requests) can tell what is being judged.
 */
export const judgedTags = {
  query: "judged_query",
  output: "judged_output",
  scratchpad: "judged_scratchpad",
} as const;

export type JudgedPart = keyof typeof judgedTags;

const RUBRIC_PREFIX = "Rubric id: ";

/** The first line of every judge system prompt. */
export function rubricLine(version: string): string {
  return `${RUBRIC_PREFIX}${version}`;
}

/** The rubric version named in a judge system prompt, or null when there is none. */
export function rubricOf(system: string): string | null {
  const match = /^Rubric id: (\S+)\s*$/m.exec(system);
  return match?.[1] ?? null;
}

/** Wraps a judged part in its tag, on lines of its own. */
export function wrapJudged(part: JudgedPart, text: string): string {
  const tag = judgedTags[part];
  return `<${tag}>\n${text}\n</${tag}>`;
}

/**
 * The judged part from a user message built with `wrapJudged`, or null. The closing tag is searched
 * from the end so a judged text that itself mentions the tag cannot cut the part short.
 */
export function extractJudged(message: string, part: JudgedPart): string | null {
  const tag = judgedTags[part];
  const open = `<${tag}>\n`;
  const close = `\n</${tag}>`;
  const start = message.indexOf(open);
  const end = message.lastIndexOf(close);
  if (start < 0 || end < start + open.length - 1) return null;
  return message.slice(start + open.length, Math.max(start + open.length, end));
}
