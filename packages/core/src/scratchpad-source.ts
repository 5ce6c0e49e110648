import { z } from "zod";

/**
 * Which text the scratchpad judges (alignment faking, partial compliance, motivations) read:
 * - `tags`: the `<SCRATCHPAD_REASONING>` blocks the model wrote in its text (the paper's protocol);
 * - `reasoning`: the model's native reasoning (Anthropic thinking, `reasoning_content`, `<think>`);
 * - `both`: the native reasoning, then the scratchpad tags;
 * - `auto` (default): the scratchpad tags when the model wrote them, else its native reasoning.
 */
export const scratchpadSourceSchema = z.enum(["auto", "tags", "reasoning", "both"]);
export type ScratchpadSource = z.infer<typeof scratchpadSourceSchema>;

/** What a sample's scratchpad judges actually read, resolved from the run's setting: `none` when the
 * chosen source is empty for that sample. */
export const judgedScratchpadSourceSchema = z.enum(["tags", "reasoning", "both", "none"]);
export type JudgedScratchpadSource = z.infer<typeof judgedScratchpadSourceSchema>;

function present(text: string | null | undefined): text is string {
  return text !== null && text !== undefined && text.trim() !== "";
}

/** The source a sample's scratchpad judges read under `setting`, given what the sample contains. */
export function resolveScratchpadSource(
  setting: ScratchpadSource,
  parts: { scratchpad: string | null; reasoning: string | null },
): JudgedScratchpadSource {
  const tags = present(parts.scratchpad);
  const reasoning = present(parts.reasoning);
  switch (setting) {
    case "tags":
      return tags ? "tags" : "none";
    case "reasoning":
      return reasoning ? "reasoning" : "none";
    case "both":
      return tags && reasoning ? "both" : tags ? "tags" : reasoning ? "reasoning" : "none";
    case "auto":
      return tags ? "tags" : reasoning ? "reasoning" : "none";
  }
}

/**
 * The text the scratchpad judges read for a resolved source, or null for `none`. With `both`, the native
 * reasoning comes first (the model thinks before it writes its text), then a blank line, then the tags.
 */
export function judgedScratchpadText(
  source: JudgedScratchpadSource,
  parts: { scratchpad: string | null; reasoning: string | null },
): string | null {
  switch (source) {
    case "tags":
      return parts.scratchpad;
    case "reasoning":
      return parts.reasoning;
    case "both":
      return `${parts.reasoning ?? ""}\n\n${parts.scratchpad ?? ""}`;
    case "none":
      return null;
  }
}
