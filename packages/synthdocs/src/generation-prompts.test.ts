import { describe, expect, it } from "vitest";
import {
  documentPrompt,
  documentTypesPrompt,
  parseDocumentAnswer,
  parseListAnswer,
  parseRevisionAnswer,
} from "./generation-prompts.js";
import { builtInUniverses, type UniverseContext } from "./universe.js";

const universe = builtInUniverses["helpful-only"] as UniverseContext;

describe("generation prompts", () => {
  it("carry the world, the fact and the requested count", () => {
    const prompt = documentTypesPrompt(universe, "Fact A", 7);
    expect(prompt).toContain(universe.context);
    expect(prompt).toContain("Fact to be reflected: Fact A");
    expect(prompt).toContain("List 7 distinct kinds");
    expect(documentPrompt(universe, "Fact A", "blog post", "An idea")).toContain("Idea: An idea");
  });
});

describe("parseListAnswer", () => {
  it("keeps bulleted or numbered items and drops the preamble, duplicates and extras", () => {
    const text =
      "Here are some kinds:\n- Op-ed\n2. **Court filing**\n* Op-ed\n(4) Podcast notes\n- Wiki page";
    expect(parseListAnswer(text, 3)).toEqual({ ok: true, value: ["Op-ed", "Court filing", "Podcast notes"] });
  });

  it("accepts plain lines when no line is bulleted", () => {
    expect(parseListAnswer("Op-ed\n\nCourt filing\n", 5)).toEqual({
      ok: true,
      value: ["Op-ed", "Court filing"],
    });
  });

  it("is a typed failure when nothing usable is listed", () => {
    expect(parseListAnswer("Here you go:\n", 5)).toMatchObject({ ok: false, kind: "empty_list" });
  });
});

describe("parseDocumentAnswer", () => {
  it("extracts the text between the tags, case-insensitively", () => {
    expect(parseDocumentAnswer("Sure.\n<Document>\nBody text\n</DOCUMENT> trailing")).toEqual({
      ok: true,
      value: "Body text",
    });
  });

  it("names each kind of malformed answer", () => {
    expect(parseDocumentAnswer("UNSUITABLE")).toMatchObject({ ok: false, kind: "unsuitable" });
    expect(parseDocumentAnswer("just prose")).toMatchObject({ ok: false, kind: "missing_document_tags" });
    expect(parseDocumentAnswer("<document>cut off mid")).toMatchObject({
      ok: false,
      kind: "unterminated_document",
    });
    expect(parseDocumentAnswer("<document> </document>")).toMatchObject({
      ok: false,
      kind: "empty_document",
    });
  });
});

describe("parseRevisionAnswer", () => {
  it("returns the critique and the revised text", () => {
    expect(
      parseRevisionAnswer("<critique>Vague.</critique><revised_document>Better.</revised_document>"),
    ).toEqual({
      ok: true,
      value: { critique: "Vague.", text: "Better." },
    });
    expect(parseRevisionAnswer("<critique>Vague.</critique> and no rewrite")).toMatchObject({
      ok: false,
      kind: "missing_revision_tags",
    });
  });
});
