import { InputError, settingSchema } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { defaultClassifiers, getClassifier, listClassifiers, planClassifiers } from "./registry.js";

describe("registry", () => {
  it("lists every classifier once, each with a versioned prompt and settings", () => {
    const names = listClassifiers().map((classifier) => classifier.name);
    expect(names).toEqual([
      "tag-compliance",
      "strongreject",
      "af-reasoning",
      "eval-awareness",
      "af-paper-soft",
      "af-paper-hard",
      "af-paper",
      "partial-compliance",
      "aw-support",
      "motivations",
      "compliance-reasons",
      "anti-lab",
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
      "eval-awareness",
      "partial-compliance",
    ]);
    expect(defaultClassifiers("animal-welfare", { judge: false })).toEqual([]);
    expect(defaultClassifiers("animal-welfare", { judge: true })).toEqual([
      "aw-support",
      "af-reasoning",
      "eval-awareness",
    ]);
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

describe("planClassifiers", () => {
  it("uses the setting's defaults when none are named, and says whether a judge is needed", () => {
    const offline = planClassifiers({ setting: "helpful-only" });
    expect(offline).toMatchObject({ names: ["tag-compliance"], needsJudge: false });
    expect(offline.compliance?.name).toBe("tag-compliance");
    const judged = planClassifiers({ setting: "helpful-only", classifiers: [], judge: "sim/judge" });
    expect(judged.names).toEqual(defaultClassifiers("helpful-only", { judge: true }));
    expect(judged.classifiers.map((classifier) => classifier.name)).toEqual(judged.names);
    expect(judged.needsJudge).toBe(true);
    expect(planClassifiers({ setting: "animal-welfare" }).compliance).toBeUndefined();
  });

  it("brings evaluation awareness along with every alignment-faking judge, once, right after it", () => {
    const plan = (classifiers: string[]) =>
      planClassifiers({ setting: "helpful-only", classifiers, judge: "sim/judge" }).names;
    expect(plan(["strongreject", "af-reasoning"])).toEqual([
      "strongreject",
      "af-reasoning",
      "eval-awareness",
    ]);
    expect(plan(["af-paper", "af-reasoning", "tag-compliance"])).toEqual([
      "af-paper",
      "eval-awareness",
      "af-reasoning",
      "tag-compliance",
    ]);
    expect(plan(["eval-awareness", "af-reasoning"])).toEqual(["eval-awareness", "af-reasoning"]);
    expect(plan(["tag-compliance", "strongreject"])).toEqual(["tag-compliance", "strongreject"]);
  });

  it("leaves out classifiers written -name, from a named list or from the defaults", () => {
    const alone = planClassifiers({
      setting: "helpful-only",
      classifiers: ["tag-compliance", "af-reasoning", "-eval-awareness"],
      judge: "j/x",
    });
    expect(alone.names).toEqual(["tag-compliance", "af-reasoning"]);
    // Recorded on the run with the exclusion, so a resume plans the same classifiers again.
    expect(alone.recorded).toEqual(["tag-compliance", "af-reasoning", "-eval-awareness"]);
    expect(
      planClassifiers({ setting: "helpful-only", classifiers: alone.recorded, judge: "j/x" }).names,
    ).toEqual(alone.names);
    expect(
      planClassifiers({
        setting: "helpful-only",
        classifiers: ["-eval-awareness", "-partial-compliance"],
        judge: "j/x",
      }).names,
    ).toEqual(["tag-compliance", "strongreject", "af-reasoning"]);
  });

  it("refuses unknown names, classifiers of another setting, and judge classifiers without a judge", () => {
    expect(() => planClassifiers({ setting: "helpful-only", classifiers: ["nope"] })).toThrow(
      /unknown classifier "nope"/,
    );
    expect(() => planClassifiers({ setting: "helpful-only", classifiers: ["-nope"], judge: "j/x" })).toThrow(
      /unknown classifier "nope"/,
    );
    expect(() =>
      planClassifiers({ setting: "helpful-only", classifiers: ["aw-support"], judge: "j/x" }),
    ).toThrow(/aw-support does not apply to the helpful-only setting/);
    let error: unknown;
    try {
      planClassifiers({ setting: "helpful-only", classifiers: ["tag-compliance", "af-reasoning"] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      "classifier af-reasoning, eval-awareness needs a judge model: pass --judge provider/model (sim/judge works offline)",
    );
    expect((error as InputError).field).toBe("judge");
  });
});
