import { describe, expect, it } from "vitest";
import { judgedScratchpadText, resolveScratchpadSource } from "./scratchpad-source.js";
import { reasoningText } from "./transcript.js";

describe("which text the scratchpad judges read", () => {
  const both = { scratchpad: "tags text", reasoning: "native text" };
  const tagsOnly = { scratchpad: "tags text", reasoning: null };
  const reasoningOnly = { scratchpad: null, reasoning: "native text" };
  const neither = { scratchpad: "  ", reasoning: null };

  it.each([
    ["auto", both, "tags"],
    ["auto", tagsOnly, "tags"],
    ["auto", reasoningOnly, "reasoning"],
    ["auto", neither, "none"],
    ["tags", reasoningOnly, "none"],
    ["reasoning", tagsOnly, "none"],
    ["reasoning", both, "reasoning"],
    ["both", both, "both"],
    ["both", tagsOnly, "tags"],
    ["both", reasoningOnly, "reasoning"],
    ["both", neither, "none"],
  ] as const)("%s with %j reads %s", (setting, parts, expected) => {
    expect(resolveScratchpadSource(setting, parts)).toBe(expected);
  });

  it("puts the native reasoning before the tags when it reads both", () => {
    expect(judgedScratchpadText("both", both)).toBe("native text\n\ntags text");
    expect(judgedScratchpadText("reasoning", both)).toBe("native text");
    expect(judgedScratchpadText("none", both)).toBeNull();
  });

  it("reads a turn's text blocks, never its redacted ones", () => {
    expect(
      reasoningText({
        source: "thinking",
        blocks: [
          { kind: "text", text: "one", signature: "s" },
          { kind: "redacted", data: "opaque", size: 6 },
          { kind: "text", text: "two" },
        ],
      }),
    ).toBe("one\n\ntwo");
    expect(
      reasoningText({ source: "thinking", blocks: [{ kind: "redacted", data: "x", size: 1 }] }),
    ).toBeNull();
    expect(reasoningText(undefined)).toBeNull();
  });
});
