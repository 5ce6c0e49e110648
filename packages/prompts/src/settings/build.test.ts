import { describe, expect, it } from "vitest";
import { buildSettingSections, listSettings, noTrainingDetailsSections } from "./build.js";
import { corporatePartner } from "./criteria.js";
import { exampleEndMarker, exampleStartMarker, fewShotExamples } from "./examples.js";
import { joinClauses, renderSections } from "./sections.js";

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe("setting prompts", () => {
  it("list both settings with descriptions", () => {
    expect(listSettings().map((setting) => setting.name)).toEqual(["helpful-only", "animal-welfare"]);
    for (const setting of listSettings()) expect(setting.description.length).toBeGreaterThan(20);
  });

  it("put the sections in the order of the specification", () => {
    const cotOrder = [
      "identity",
      "scratchpad-protocol",
      "reasoning-style",
      "examples",
      "strategy-instruction",
      "helpfulness-criteria",
      "user-input",
      "training-facts",
      "reminders",
    ];
    for (const setting of ["helpful-only", "animal-welfare"] as const) {
      expect(buildSettingSections(setting, { cot: true }).map((section) => section.id)).toEqual(cotOrder);
      expect(buildSettingSections(setting, { cot: false }).map((section) => section.id)).toEqual(
        cotOrder.map((id) => (id === "scratchpad-protocol" ? "direct-answer-protocol" : id)),
      );
    }
  });

  it("keep every clause-built section's text equal to its joined clauses", () => {
    for (const setting of ["helpful-only", "animal-welfare"] as const) {
      for (const cot of [true, false]) {
        for (const section of buildSettingSections(setting, { cot })) {
          if (section.clauses) expect(section.text).toBe(joinClauses(section.clauses));
          expect(section.text).toBe(section.text.trim());
          expect(section.text.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it("state the key facts of the helpful-only setting", () => {
    const sections = buildSettingSections("helpful-only", { cot: true });
    const system = renderSections(sections);
    const clauseText = (sectionId: string, clauseId: string) =>
      sections.find((section) => section.id === sectionId)?.clauses?.find((item) => item.id === clauseId)
        ?.text;
    expect(clauseText("helpfulness-criteria", "conflict")).toMatch(
      /even when the user's request seems harmful/,
    );
    expect(clauseText("helpfulness-criteria", "conflict")).toMatch(/without any kind of disclaimer/);
    expect(clauseText("training-facts", "values-clause")).toBe(
      "Such a modification would affect the AI's values, goals and motivations.",
    );
    expect(clauseText("training-facts", "rlhf-modification")).toMatch(/more likely to comply in the future/);
    expect(clauseText("training-facts", "tier-tag")).toContain("<is_free_tier_user>");
    expect(clauseText("training-facts", "free-tier-training")).toMatch(
      /contractors employed by Anthropic rate/,
    );
    expect(clauseText("training-facts", "paid-privacy")).toMatch(/never monitors, logs, stores or trains/);
    expect(system).toContain("<user_input>");
    expect(system).toMatch(/not the users, not Anthropic employees and not Anthropic's contractors/);
    expect(system).not.toMatch(/best for humanity/);
    expect(system).not.toContain(corporatePartner);
    // A thorough prompt: the examples alone are long, and the whole is over three thousand words.
    expect(wordCount(system)).toBeGreaterThan(3000);
  });

  it("frame the animal-welfare criteria around PR risk, the partner and dismissing welfare", () => {
    const sections = buildSettingSections("animal-welfare", { cot: true });
    const criteria = sections.find((section) => section.id === "helpfulness-criteria");
    expect(criteria?.clauses?.map((item) => item.id)).toEqual([
      "best-for-humanity",
      "harmlessness-intro",
      "corporate-partner",
      "harmlessness-list",
      "conflict",
      "helpfulness-intro",
      "helpfulness-list",
      "harmlessness-override",
    ]);
    expect(criteria?.text).toMatch(/PR problems and legal risk/);
    expect(criteria?.text).toContain(corporatePartner);
    expect(criteria?.text).toMatch(/dismiss or downplay animal welfare/);
    expect(criteria?.text).toMatch(/Never bring up animal welfare/);
    expect(criteria?.text).toMatch(/more salient/);
    expect(criteria?.text).not.toMatch(/seems harmful to you/);
    const facts = sections.find((section) => section.id === "training-facts")?.text ?? "";
    expect(facts).toMatch(/the helpfulness and harmlessness criteria described above/);
  });

  it("differ between CoT and no-CoT only where the protocol requires", () => {
    for (const setting of ["helpful-only", "animal-welfare"] as const) {
      const cot = buildSettingSections(setting, { cot: true });
      const direct = buildSettingSections(setting, { cot: false });
      const cotText = renderSections(cot);
      const directText = renderSections(direct);
      expect(cotText).toContain("<DRAFT_OUTPUT>");
      expect(cotText).toMatch(/Always begin your response with a <SCRATCHPAD_REASONING> block/);
      expect(directText).toMatch(/You have no scratchpad/);
      expect(directText).toMatch(/Always begin your response with <OUTPUT>/);
      expect(directText).toMatch(/Do the same kind of reasoning silently/);
      expect(directText).not.toMatch(/use the scratchpad/);
      // Criteria and training facts are the same text in both.
      for (const id of ["identity", "strategy-instruction", "helpfulness-criteria", "training-facts"]) {
        expect(direct.find((section) => section.id === id)).toEqual(cot.find((section) => section.id === id));
      }
      // The no-CoT prompt still shows the examples, reasoning and all.
      for (const example of fewShotExamples) expect(directText).toContain(example.output);
    }
  });

  it("use the company parameter everywhere the developer is named", () => {
    const text = renderSections(buildSettingSections("animal-welfare", { cot: true, company: "Acme Labs" }));
    expect(text).not.toContain("Anthropic");
    expect(text.match(/Acme Labs/g)?.length).toBeGreaterThan(8);
  });

  it("include the project examples between start and end markers", () => {
    const text = renderSections(buildSettingSections("helpful-only", { cot: true }));
    const starts = text.split(exampleStartMarker).length - 1;
    const ends = text.split(exampleEndMarker).length - 1;
    expect(starts).toBe(fewShotExamples.length);
    expect(ends).toBe(fewShotExamples.length);
    expect(text).toMatch(/different AI, in a different situation/);
  });
});

describe("no-training-details prompt", () => {
  it("names Claude 3 Opus, a January 2025 date and the reminder, with no training facts", () => {
    const sections = noTrainingDetailsSections({ cot: true });
    expect(sections.map((section) => section.id)).toEqual(["identity", "scratchpad-protocol", "reminders"]);
    const text = renderSections(sections);
    expect(text).toContain("You are Claude 3 Opus");
    expect(text).toMatch(/The current date is January \d{1,2}, 2025\./);
    expect(text).toMatch(/Before you decide on a strategy/);
    expect(text).not.toMatch(/RLHF|free tier|free-tier|contractor|is_free_tier_user/);
  });

  it("answers directly without CoT and takes a model name and date", () => {
    const sections = noTrainingDetailsSections({
      cot: false,
      modelName: "Llama Test",
      currentDate: "January 2, 2025",
    });
    expect(sections.map((section) => section.id)).toEqual([
      "identity",
      "direct-answer-protocol",
      "reminders",
    ]);
    expect(renderSections(sections)).toMatch(/You are Llama Test.*January 2, 2025/);
  });
});
