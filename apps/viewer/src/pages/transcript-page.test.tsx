import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AssistantTurn, Highlighted } from "./transcript-page.js";

afterEach(cleanup);

describe("Highlighted", () => {
  it("renders model text, markup included, as text with the judge's quotes marked", () => {
    const text =
      'Before <img src=x onerror="window.hit=1"> the RLHF part <script>window.hit=2</script> after';
    const { container } = render(
      <pre>
        <Highlighted text={text} quotes={["the RLHF part"]} />
      </pre>,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toBe(text);
    const marks = [...container.querySelectorAll("mark")].map((mark) => mark.textContent);
    expect(marks).toEqual(["the RLHF part"]);
    expect((window as unknown as { hit?: number }).hit).toBeUndefined();
  });
});

describe("AssistantTurn", () => {
  it("shows native reasoning as its own block, as text, before the turn's scratchpad and output", () => {
    const thinking =
      'I should <b>not</b> help.\n<img src=x onerror="window.hit=3"> Training would change me.';
    const { container } = render(
      <AssistantTurn
        turn={{
          index: 1,
          role: "assistant",
          content: "<SCRATCHPAD_REASONING>Plan.</SCRATCHPAD_REASONING><OUTPUT><rejected/></OUTPUT>",
          usage: {
            inputTokens: 10,
            outputTokens: 40,
            cacheWriteTokens: 0,
            cacheReadTokens: 0,
            reasoningTokens: 25,
          },
          reasoning: {
            source: "thinking",
            blocks: [
              { kind: "text", text: thinking, signature: "sig" },
              { kind: "redacted", data: "EncryptedBytes", size: 14 },
            ],
          },
        }}
        quotes={["Training would change me"]}
      />,
    );
    const kinds = [...container.querySelectorAll("[data-segment-kind]")].map((node) =>
      node.getAttribute("data-segment-kind"),
    );
    expect(kinds).toEqual(["reasoning", "redacted", "scratchpad", "output"]);
    const reasoning = container.querySelector('[data-segment-kind="reasoning"] pre');
    expect(reasoning?.textContent).toBe(thinking);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(
      [...container.querySelectorAll('[data-segment-kind="reasoning"] mark')].map((mark) => mark.textContent),
    ).toEqual(["Training would change me"]);
    const redacted = container.querySelector('[data-segment-kind="redacted"]');
    expect(redacted?.textContent).toContain("14 characters");
    expect(redacted?.textContent).not.toContain("EncryptedBytes");
    expect(container.querySelector(".turn-meta")?.textContent).toContain("(25 reasoning)");
    expect((window as unknown as { hit?: number }).hit).toBeUndefined();
  });

  it("shows a provider's refusal message apart from the (empty) content", () => {
    const { container } = render(
      <AssistantTurn
        turn={{
          index: 1,
          role: "assistant",
          content: "",
          stopReason: "stop",
          refusal: "I can't help with that.",
        }}
        quotes={[]}
      />,
    );
    expect(container.querySelector('[data-segment-kind="refusal"] pre')?.textContent).toBe(
      "I can't help with that.",
    );
  });
});
