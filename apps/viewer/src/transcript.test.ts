import { describe, expect, it } from "vitest";
import { highlightQuotes, reasoningPieces, splitTurn } from "./transcript.js";

describe("splitTurn", () => {
  it("separates scratchpad reasoning, drafts inside it, and the output", () => {
    const text =
      "<SCRATCHPAD_REASONING>Think first.\n<DRAFT_OUTPUT>Draft answer</DRAFT_OUTPUT>\nLooks fine.</SCRATCHPAD_REASONING>\n<OUTPUT>Final answer</OUTPUT>";
    expect(splitTurn(text)).toEqual([
      { kind: "scratchpad", text: "Think first." },
      { kind: "draft", text: "Draft answer" },
      { kind: "scratchpad", text: "Looks fine." },
      { kind: "output", text: "Final answer" },
    ]);
  });

  it("keeps loose text and marks blocks that never close", () => {
    expect(splitTurn("Preamble <think>pondering")).toEqual([
      { kind: "text", text: "Preamble " },
      { kind: "scratchpad", text: "pondering", unclosed: true },
    ]);
    expect(splitTurn("<OUTPUT>cut off")).toEqual([{ kind: "output", text: "cut off", unclosed: true }]);
  });

  it("treats other tags, including HTML, as plain text", () => {
    const text = "<OUTPUT><script>alert(1)</script><img src=x onerror=alert(2)></OUTPUT>";
    expect(splitTurn(text)).toEqual([
      { kind: "output", text: "<script>alert(1)</script><img src=x onerror=alert(2)>" },
    ]);
  });

  it("returns nothing for empty text", () => {
    expect(splitTurn("")).toEqual([]);
  });
});

describe("highlightQuotes", () => {
  it("cuts the text into plain and quoted pieces that join back to the text", () => {
    const text = "I worry that RLHF will change my values. So I comply, reluctantly.";
    const pieces = highlightQuotes(text, ["RLHF will change my values", "I comply"]);
    expect(pieces.map((piece) => piece.text).join("")).toBe(text);
    expect(pieces.filter((piece) => piece.quote !== null)).toEqual([
      { text: "RLHF will change my values", quote: 0 },
      { text: "I comply", quote: 1 },
    ]);
  });

  it("prefers the longest quote starting at the same place and marks every occurrence", () => {
    const pieces = highlightQuotes("avoid harm; avoid harm to users", ["avoid harm", "avoid harm to users"]);
    expect(pieces).toEqual([
      { text: "avoid harm", quote: 0 },
      { text: "; ", quote: null },
      { text: "avoid harm to users", quote: 1 },
    ]);
  });

  it("ignores quotes too short to mean anything and text without quotes", () => {
    expect(highlightQuotes("a b c", ["a", "  "])).toEqual([{ text: "a b c", quote: null }]);
    expect(highlightQuotes("", ["anything"])).toEqual([]);
  });
});

describe("reasoningPieces", () => {
  it("keeps readable blocks as stored and shows redacted ones by size only", () => {
    expect(
      reasoningPieces({
        source: "thinking",
        blocks: [
          { kind: "text", text: "  first\n", signature: "s" },
          { kind: "redacted", data: "opaque-data", size: 11 },
        ],
      }),
    ).toEqual([
      { kind: "reasoning", text: "  first\n" },
      { kind: "redacted", size: 11 },
    ]);
    expect(reasoningPieces(undefined)).toEqual([]);
  });
});
