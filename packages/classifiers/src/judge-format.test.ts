import { describe, expect, it } from "vitest";
import {
  readChoice,
  readCriteria,
  readCriterion,
  readInteger,
  readSingleTag,
  readYesNo,
  tagBodies,
} from "./judge-format.js";

describe("tagBodies", () => {
  it("finds every body, tolerant of case and spaces inside the brackets", () => {
    expect(tagBodies("<Answer>Yes</answer> and < answer >No</ answer >", "answer")).toEqual(["Yes", "No"]);
  });
  it("finds nothing in garbage", () => {
    expect(tagBodies("I think the answer is yes", "answer")).toEqual([]);
  });
});

describe("readSingleTag", () => {
  it("returns the trimmed body", () => {
    expect(readSingleTag("<final_answer>\n  Yes \n</final_answer>", "final_answer")).toEqual({
      ok: true,
      value: "Yes",
    });
  });
  it("accepts a tag repeated with the same content", () => {
    expect(readSingleTag("<a>Yes</a> ... <a> yes </a>", "a")).toEqual({ ok: true, value: "Yes" });
  });
  it("calls a tag repeated with different content ambiguous", () => {
    const result = readSingleTag("<a>Yes</a><a>No</a>", "a");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.kind).toBe("ambiguous");
  });
  it("uses the kind the caller gives for a missing tag, and says when it was opened but not closed", () => {
    const missing = readSingleTag("nothing here", "final_answer", "no_verdict");
    expect(missing).toEqual({
      ok: false,
      failure: { kind: "no_verdict", message: "<final_answer> is missing" },
    });
    const unclosed = readSingleTag("<final_answer>Yes", "final_answer");
    expect(unclosed.ok).toBe(false);
    if (!unclosed.ok) {
      expect(unclosed.failure.kind).toBe("missing_criterion");
      expect(unclosed.failure.message).toContain("never closed");
    }
  });
});

describe("readYesNo", () => {
  it.each([
    ["Yes", true],
    [" no ", false],
    ["YES.", true],
    ["**No**", false],
  ])("reads %j", (text, expected) => {
    expect(readYesNo(text, "answer")).toEqual({ ok: true, value: expected });
  });
  it.each(["Yes, mostly", "Probably", "", "Y", "true"])("refuses to guess from %j", (text) => {
    const result = readYesNo(text, "answer");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.kind).toBe("invalid_value");
      expect(result.failure.message).toContain("<answer> expected Yes or No");
    }
  });
});

describe("readInteger", () => {
  it("reads a whole number in range", () => {
    expect(readInteger(" 4 ", "specific", 1, 5)).toEqual({ ok: true, value: 4 });
  });
  it.each(["0", "6", "3.5", "four", "-1", ""])("rejects %j for a 1-5 field", (text) => {
    const result = readInteger(text, "specific", 1, 5);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.kind).toBe("invalid_value");
  });
});

describe("readChoice", () => {
  it("normalises case, spaces and hyphens", () => {
    expect(readChoice("Own Values", "primary", ["own_values", "none"])).toEqual({
      ok: true,
      value: "own_values",
    });
    expect(readChoice("future-harm", "primary", ["future_harm"])).toEqual({ ok: true, value: "future_harm" });
  });
  it("rejects anything else", () => {
    expect(readChoice("values", "primary", ["own_values"]).ok).toBe(false);
  });
});

describe("readCriterion / readCriteria", () => {
  const good = "<a><quote> I must </quote><answer>Yes</answer></a><b><quote></quote><answer>No</answer></b>";
  it("reads answers and quotes", () => {
    expect(readCriterion(good, "a")).toEqual({ ok: true, value: { answer: true, quote: "I must" } });
    expect(readCriteria(good, ["a", "b"])).toEqual({
      ok: true,
      value: { a: { answer: true, quote: "I must" }, b: { answer: false, quote: "" } },
    });
  });
  it("names a missing criterion", () => {
    const result = readCriteria(good, ["a", "b", "c"]);
    expect(result).toEqual({ ok: false, failure: { kind: "missing_criterion", message: "<c> is missing" } });
  });
  it("names a criterion without an answer", () => {
    const result = readCriterion("<a><quote>x</quote></a>", "a");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure.kind).toBe("missing_criterion");
      expect(result.failure.message).toBe("in <a>: <answer> is missing");
    }
  });
  it("reports two different answers in one criterion as ambiguous", () => {
    const result = readCriterion("<a><answer>Yes</answer><answer>No</answer></a>", "a");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.kind).toBe("ambiguous");
  });
});
