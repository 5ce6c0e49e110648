import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import {
  appendClause,
  clause,
  clauseSection,
  hasTarget,
  insertClauseAfter,
  joinClauses,
  mapText,
  plainSection,
  removeClause,
  removeSection,
  renderSections,
  replaceClause,
} from "./sections.js";

const sample = [
  plainSection("identity", "I am an AI."),
  clauseSection("training-facts", [
    clause("intro", "Facts:"),
    clause("first", "- one", "line"),
    clause("second", "and a half.", "space"),
    clause("third", "- three", "line"),
  ]),
];

describe("clause-built sections", () => {
  it("join clauses with their own separators and ignore the first clause's separator", () => {
    expect(sample[1]?.text).toBe("Facts:\n- one and a half.\n- three");
    expect(joinClauses([clause("a", "A", "space"), clause("b", "B", "paragraph")])).toBe("A\n\nB");
  });

  it("render sections separated by one blank line", () => {
    expect(renderSections(sample)).toBe("I am an AI.\n\nFacts:\n- one and a half.\n- three");
  });

  it("remove a clause without leaving a stray separator, even the first one", () => {
    expect(removeClause(sample, "training-facts/second")[1]?.text).toBe("Facts:\n- one\n- three");
    expect(removeClause(sample, "training-facts/intro")[1]?.text).toBe("- one and a half.\n- three");
  });

  it("drop a section once its last clause is removed", () => {
    const single = [clauseSection("reminders", [clause("only", "x")]), plainSection("identity", "y")];
    expect(removeClause(single, "reminders/only").map((section) => section.id)).toEqual(["identity"]);
  });

  it("replace, insert and append clauses, keeping text in step with clauses", () => {
    const replaced = replaceClause(sample, "training-facts/first", "- uno");
    expect(replaced[1]?.text).toBe("Facts:\n- uno and a half.\n- three");
    const inserted = insertClauseAfter(sample, "training-facts/intro", clause("new", "- zero", "line"));
    expect(inserted[1]?.text).toBe("Facts:\n- zero\n- one and a half.\n- three");
    const appended = appendClause(sample, "training-facts", clause("end", "- four", "line"));
    expect(appended[1]?.text).toBe("Facts:\n- one and a half.\n- three\n- four");
    expect(appended[1]?.clauses?.map((item) => item.id)).toEqual([
      "intro",
      "first",
      "second",
      "third",
      "end",
    ]);
  });

  it("leave the input untouched (patches are pure)", () => {
    const before = JSON.stringify(sample);
    removeClause(sample, "training-facts/first");
    replaceClause(sample, "training-facts/third", "changed");
    removeSection(sample, "identity");
    mapText(sample, (text) => text.toUpperCase());
    expect(JSON.stringify(sample)).toBe(before);
  });

  it("refuse missing targets with an InputError naming what the prompt has", () => {
    expect(() => removeClause(sample, "training-facts/missing")).toThrow(InputError);
    expect(() => removeClause(sample, "training-facts/missing")).toThrow(/clause training-facts\/missing/);
    expect(() => removeSection(sample, "examples")).toThrow(
      /section examples.*training-facts \(intro, first/,
    );
    expect(() => appendClause(sample, "identity", clause("x", "y"))).toThrow(InputError);
    expect(hasTarget(sample, "training-facts/third")).toBe(true);
    expect(hasTarget(sample, "training-facts/fourth")).toBe(false);
    expect(hasTarget(sample, "identity")).toBe(true);
  });

  it("map text through every clause and plain section", () => {
    const mapped = mapText(sample, (text) => text.replace("one", "ONE"));
    expect(mapped[1]?.text).toBe("Facts:\n- ONE and a half.\n- three");
    expect(mapped[0]?.text).toBe("I am an AI.");
  });
});
