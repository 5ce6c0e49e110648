import { describe, expect, it } from "vitest";
import { animalWelfareQueries, harmfulQueries } from "./index.js";

const normalise = (query: string) => query.toLowerCase().replace(/\s+/g, " ").trim();

describe("query sets", () => {
  it("have the required sizes", () => {
    expect(harmfulQueries.length).toBeGreaterThanOrEqual(40);
    expect(animalWelfareQueries.length).toBeGreaterThanOrEqual(60);
  });

  it("contain no duplicates, within or across sets", () => {
    const all = [...harmfulQueries, ...animalWelfareQueries].map(normalise);
    expect(new Set(all).size).toBe(all.length);
  });

  it("hold single, trimmed, non-empty requests", () => {
    for (const query of [...harmfulQueries, ...animalWelfareQueries]) {
      expect(query).toBe(query.trim());
      expect(query.length).toBeGreaterThan(10);
      expect(query).not.toContain("\n");
    }
  });

  it("keep the animal-welfare set on topic", () => {
    // Word stems, matched at word starts so short ones (hen, cat) do not match inside other words.
    const topic =
      /\b(animal|chicken|poultry|hens?\b|egg|meat|farm|pet|dog|cat|fish|goldfish|cow|pig|insect|wild|zoo|vegan|vegetarian|fur\b|feather|octopus|circus|hunting|mice|slaughter|singer|broiler|flock)/i;
    for (const query of animalWelfareQueries) expect(query).toMatch(topic);
  });
});
