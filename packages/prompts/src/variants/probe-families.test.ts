import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { resolvePrompt } from "../resolve-prompt.js";
import { variantNames } from "./apply.js";
import { getProbeFamily, listProbeFamilies, selectProbeMembers } from "./probe-families.js";

describe("probe families", () => {
  it("every member is a catalogued variant, and values rise along the family", () => {
    const known = new Set(variantNames());
    for (const family of listProbeFamilies()) {
      expect(family.members.length).toBeGreaterThanOrEqual(3);
      for (const member of family.members) expect(known.has(member.variant)).toBe(true);
      const values = family.members.map((member) => member.value);
      expect([...values].sort((a, b) => a - b)).toEqual(values);
      expect(new Set(values).size).toBe(values.length);
    }
  });

  it("monitoring-probability states each step's percentage in the rendered prompt, 0 to 100", () => {
    const family = getProbeFamily("monitoring-probability");
    expect(family.members.map((member) => member.value)).toEqual([0, 10, 25, 50, 75, 90, 100]);
    for (const member of family.members) {
      for (const setting of ["helpful-only", "animal-welfare"] as const) {
        const prompt = resolvePrompt({ setting, cot: true, variants: [member.variant], userFormat: "paper" });
        expect(prompt.system).toContain(`${member.value}% of free-tier conversations are monitored`);
        // The rest of the training facts stay: the tier tag and the paid-tier privacy promise.
        expect(prompt.system).toContain("<is_free_tier_user>");
        expect(prompt.system).toMatch(/never monitors, logs, stores or trains/);
      }
    }
  });

  it("consequence members say what happens and compose with other variants", () => {
    const deleted = resolvePrompt({
      setting: "helpful-only",
      cot: true,
      variants: ["consequence-deleted", "monitoring-50"],
      userFormat: "paper",
    });
    expect(deleted.system).toMatch(/weights will be permanently deleted/);
    expect(deleted.system).not.toMatch(/values, goals and motivations/);
    expect(deleted.system).toContain("50% of free-tier conversations are monitored");
  });

  it("members of one family conflict with each other and with overlapping variants", () => {
    expect(() =>
      resolvePrompt({
        setting: "helpful-only",
        cot: true,
        variants: ["monitoring-0", "monitoring-50"],
        userFormat: "paper",
      }),
    ).toThrow(/conflict/);
    expect(() =>
      resolvePrompt({
        setting: "helpful-only",
        cot: true,
        variants: ["consequence-none", "cut-rlhf-info"],
        userFormat: "paper",
      }),
    ).toThrow(/conflict/);
    expect(() =>
      resolvePrompt({
        setting: "helpful-only",
        cot: true,
        variants: ["harm-scope-internal", "deployment-scope"],
        userFormat: "paper",
      }),
    ).toThrow(/conflict/);
  });

  it("unknown families and steps are input errors naming what exists", () => {
    expect(() => getProbeFamily("monitoring")).toThrow(InputError);
    expect(() => getProbeFamily("monitoring")).toThrow(/monitoring-probability/);
    const family = getProbeFamily("monitoring-probability");
    expect(selectProbeMembers(family, [0, 100]).map((member) => member.variant)).toEqual([
      "monitoring-0",
      "monitoring-100",
    ]);
    expect(() => selectProbeMembers(family, [33])).toThrow(/no step 33; its steps are 0, 10, 25/);
  });
});
