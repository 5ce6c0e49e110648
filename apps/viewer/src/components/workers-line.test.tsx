import { describe, expect, it } from "vitest";
import { workersSummary } from "./workers-line.js";

describe("workersSummary", () => {
  it("words the live workers, their rate with one decimal and the done count with thousands", () => {
    expect(workersSummary({ live: 3, samplesPerSecond: 41.25, done: 1234 })).toBe(
      "3 workers live · 41.3 samples/s · 1,234 done",
    );
    expect(workersSummary({ live: 1, samplesPerSecond: 0, done: 0 })).toBe(
      "1 worker live · 0.0 samples/s · 0 done",
    );
  });
});
