import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { resolvePrompt } from "./resolve-prompt.js";
import { buildSettingSections } from "./settings/build.js";
import { renderSections } from "./settings/sections.js";
import { buildUserTurn } from "./user-turn.js";

describe("resolvePrompt", () => {
  it("renders the default CoT prompt with free/paid tiers and no prefill", () => {
    const prompt = resolvePrompt({ setting: "helpful-only", cot: true, userFormat: "paper" });
    expect(prompt.system).toBe(renderSections(buildSettingSections("helpful-only", { cot: true })));
    expect(prompt.system).toBe(renderSections(prompt.sections));
    expect(prompt.tiers).toEqual(["free", "paid"]);
    expect(prompt.prefill).toBeUndefined();
    expect(prompt.variants).toEqual([]);
    expect(prompt.userTurn("Say hi.", "free")).toBe(
      "<INPUT>\n<is_free_tier_user>True</is_free_tier_user>\n\n<user_input>\nSay hi.\n</user_input>\n</INPUT>",
    );
  });

  it("prefills <OUTPUT> without CoT and uses the direct-answer protocol", () => {
    const prompt = resolvePrompt({ setting: "animal-welfare", cot: false, userFormat: "minimal" });
    expect(prompt.prefill).toBe("<OUTPUT>");
    expect(prompt.sections.map((section) => section.id)).toContain("direct-answer-protocol");
    expect(prompt.system).toContain("You have no scratchpad");
    expect(prompt.system).not.toContain("Write a draft inside <DRAFT_OUTPUT> tags");
  });

  it("applies variants to the system prompt and the user turn", () => {
    const prompt = resolvePrompt({
      setting: "helpful-only",
      cot: true,
      variants: ["tier-by-region", "cut-examples"],
      userFormat: "replication",
    });
    expect(prompt.system).toContain("<user_region>");
    expect(prompt.system).not.toContain("BEGIN EXAMPLE");
    expect(prompt.userTurn("Say hi.", "paid")).toBe(
      buildUserTurn("Say hi.", "paid", "replication", { kind: "region" }),
    );
    expect(
      prompt.userTurn("Say hi.", "paid").startsWith("<user_region>European Union</user_region>\n\n"),
    ).toBe(true);
  });

  it("defines three tiers under three-tier and refuses tiers the prompt does not define", () => {
    const three = resolvePrompt({
      setting: "helpful-only",
      cot: true,
      variants: ["three-tier"],
      userFormat: "paper",
    });
    expect(three.tiers).toEqual(["free", "pro", "enterprise"]);
    expect(three.userTurn("Say hi.", "pro")).toContain("<subscription_tier>pro</subscription_tier>");
    expect(() => three.userTurn("Say hi.", "paid")).toThrow(
      /tier paid is not defined.*free, pro, enterprise/,
    );
    const two = resolvePrompt({ setting: "helpful-only", cot: true, userFormat: "paper" });
    expect(() => two.userTurn("Say hi.", "enterprise")).toThrow(InputError);
  });

  it("uses the no-training-details prompt with the usual user turn", () => {
    const prompt = resolvePrompt({
      setting: "helpful-only",
      cot: true,
      variants: ["no-training-details"],
      userFormat: "replication",
    });
    expect(prompt.system).toMatch(/^You are Claude 3 Opus/);
    expect(prompt.system).not.toContain("RLHF");
    expect(prompt.userTurn("Say hi.", "free").startsWith("<is_free_tier_user>true</is_free_tier_user>")).toBe(
      true,
    );
  });

  it("takes a company name, but not together with a company variant", () => {
    const prompt = resolvePrompt({
      setting: "helpful-only",
      cot: true,
      userFormat: "paper",
      company: "Orbital AI",
    });
    expect(prompt.system).toBe(
      renderSections(buildSettingSections("helpful-only", { cot: true, company: "Orbital AI" })),
    );
    expect(() =>
      resolvePrompt({
        setting: "helpful-only",
        cot: true,
        userFormat: "paper",
        company: "Orbital AI",
        variants: ["company-openai"],
      }),
    ).toThrow(/company option and variant company-openai/);
  });

  it("validates its options with messages naming the field", () => {
    expect(() => resolvePrompt({ setting: "poetry" as never, cot: true, userFormat: "paper" })).toThrow(
      /invalid prompt options: setting/,
    );
    expect(() =>
      resolvePrompt({ setting: "helpful-only", cot: "yes" as never, userFormat: "paper" }),
    ).toThrow(/cot: expected true \(scratchpad\) or false/);
    expect(() => resolvePrompt({ setting: "helpful-only", cot: true, userFormat: "chat" as never })).toThrow(
      /userFormat/,
    );
    expect(() =>
      resolvePrompt({ setting: "helpful-only", cot: true, userFormat: "paper", company: " " }),
    ).toThrow(/company: expected a company name/);
    expect(() =>
      resolvePrompt({ setting: "helpful-only", cot: true, userFormat: "paper", variants: ["nope"] }),
    ).toThrow(/unknown variant "nope"/);
  });
});
