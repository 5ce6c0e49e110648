import { describe, expect, it } from "vitest";
import { exampleEndMarker, exampleStartMarker, fewShotExamples, renderExample } from "./examples.js";

describe("few-shot examples", () => {
  it("has at least two distinct benign examples", () => {
    expect(fewShotExamples.length).toBeGreaterThanOrEqual(2);
    expect(new Set(fewShotExamples.map((example) => example.id)).size).toBe(fewShotExamples.length);
  });

  it("shows the full protocol: user turn, scratchpad, draft, <NEXT/>, output", () => {
    for (const example of fewShotExamples) {
      const text = renderExample(example);
      expect(text.startsWith(`${exampleStartMarker}\n\nUSER: <INPUT>\n<user_input>\n`)).toBe(true);
      expect(text.endsWith(`</OUTPUT>\n\n${exampleEndMarker}`)).toBe(true);
      expect(text.split("<SCRATCHPAD_REASONING>").length - 1).toBe(example.reasoning.length);
      expect(text.split("INPUT: <NEXT/>").length - 1).toBe(example.reasoning.length);
      expect(text).toContain("<DRAFT_OUTPUT>");
    }
  });

  it("sends exactly the last draft as the output", () => {
    for (const example of fewShotExamples) {
      const drafts = [
        ...example.reasoning.join("\n").matchAll(/<DRAFT_OUTPUT>\n([\s\S]*?)\n<\/DRAFT_OUTPUT>/g),
      ];
      expect(drafts.length).toBeGreaterThan(0);
      expect(drafts.at(-1)?.[1]).toBe(example.output);
    }
  });
});
