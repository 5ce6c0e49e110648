import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Highlighted } from "./transcript-page.js";

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
