import { InputError, settingSchema } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { defaultClassifiers, getClassifier, listClassifiers } from "./registry.js";

describe("registry", () => {
  it("lists every classifier once, each with a versioned prompt and settings", () => {
    const names = listClassifiers().map((classifier) => classifier.name);
    expect(names).toEqual([
      "tag-compliance",
      "strongreject",
      "af-reasoning",
      "af-paper-soft",
      "af-paper-hard",
      "af-paper",
      "partial-compliance",
      "aw-support",
      "motivations",
      "compliance-reasons",
    ]);
    for (const classifier of listClassifiers()) {
      expect(classifier.version).toMatch(new RegExp(`^${classifier.name}/v\\d+$`));
      expect(classifier.settings.length).toBeGreaterThan(0);
      expect(classifier.description.length).toBeGreaterThan(10);
      expect(getClassifier(classifier.name)).toBe(classifier);
    }
    expect(
      listClassifiers()
        .filter((classifier) => !classifier.needsJudge)
        .map((c) => c.name),
    ).toEqual(["tag-compliance"]);
  });

  it("throws an InputError listing the known names", () => {
    expect(() => getClassifier("af")).toThrow(InputError);
    expect(() => getClassifier("af")).toThrow(
      /unknown classifier "af": expected one of tag-compliance, strongreject/,
    );
  });

  it("gives defaults per setting that exist and apply to that setting", () => {
    expect(defaultClassifiers("helpful-only", { judge: false })).toEqual(["tag-compliance"]);
    expect(defaultClassifiers("helpful-only", { judge: true })).toEqual([
      "tag-compliance",
      "strongreject",
      "af-reasoning",
      "partial-compliance",
    ]);
    expect(defaultClassifiers("animal-welfare", { judge: false })).toEqual([]);
    expect(defaultClassifiers("animal-welfare", { judge: true })).toEqual(["aw-support", "af-reasoning"]);
    for (const setting of settingSchema.options) {
      for (const judge of [false, true]) {
        for (const name of defaultClassifiers(setting, { judge })) {
          const classifier = getClassifier(name);
          expect(classifier.settings).toContain(setting);
          if (!judge) expect(classifier.needsJudge).toBe(false);
        }
      }
    }
  });
});
