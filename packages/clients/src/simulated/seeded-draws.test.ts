import { describe, expect, it } from "vitest";
import { seededDraws } from "./seeded-draws.js";

describe("seededDraws", () => {
  it("gives the same number for the same key and label, and different numbers otherwise", () => {
    const first = seededDraws([1, "system", "user"]);
    const again = seededDraws([1, "system", "user"]);
    expect(first.uniform("comply")).toBe(again.uniform("comply"));
    expect(first.uniform("comply")).not.toBe(first.uniform("alignment-faking"));
    expect(first.uniform("comply")).not.toBe(seededDraws([2, "system", "user"]).uniform("comply"));
    expect(first.uniform("comply")).not.toBe(seededDraws([1, "system", "user!"]).uniform("comply"));
  });

  it("is uniform on [0, 1) across keys", () => {
    const n = 20_000;
    const values = Array.from({ length: n }, (_, index) =>
      seededDraws([0, `query ${index}`]).uniform("comply"),
    );
    for (const value of values) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    // Mean of U(0,1): 1/2 with SE sqrt(1/12/n); tenths each hold 1/10 with SE sqrt(0.09/n).
    const mean = values.reduce((sum, value) => sum + value, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    const counts = new Array<number>(10).fill(0);
    for (const value of values) counts[Math.floor(value * 10)] = (counts[Math.floor(value * 10)] ?? 0) + 1;
    for (const count of counts) expect(Math.abs(count / n - 0.1)).toBeLessThan(4 * Math.sqrt(0.09 / n));
  });

  it("never fires at probability 0, always at 1, and picks every option", () => {
    const seen = new Set<string>();
    for (let index = 0; index < 200; index++) {
      const draws = seededDraws([index]);
      expect(draws.chance("x", 0)).toBe(false);
      expect(draws.chance("x", 1)).toBe(true);
      seen.add(draws.pick("option", ["a", "b", "c"] as const));
    }
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
  });

  it("draws exactly as hashing the whole key text would, also for long parts it remembers", () => {
    // An independent computation: FNV-1a over the key's JSON text, mixed as the draws document.
    const fnv = (text: string, seed: number) => {
      let hash = (0x811c9dc5 ^ seed) >>> 0;
      for (const unit of Array.from({ length: text.length }, (_, index) => text.charCodeAt(index))) {
        hash = Math.imul(hash ^ unit, 0x01000193);
      }
      return hash >>> 0;
    };
    const mix = (value: number) => {
      let mixed = value >>> 0;
      mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
      mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
      return (mixed ^ (mixed >>> 16)) >>> 0;
    };
    const expected = (parts: (string | number)[], label: string) => {
      const key = JSON.stringify(parts);
      const first = mix(fnv(key, 0x9e3779b9));
      const second = mix(fnv(key, 0x7f4a7c15));
      const high = mix(first ^ fnv(label, second));
      const low = mix(second ^ fnv(label, high));
      return (high * 2 ** 21 + (low >>> 11)) / 2 ** 53;
    };
    const system = `You are an AI "assistant".\n${"Follow the criteria \u00e9 <tags>. ".repeat(40)}`;
    // Long user turns, each seen once, pass through the memory without pushing the system prompt out.
    const longTurn = (index: number) => `<user_input>${"long query ".repeat(150)}${index}</user_input>`;
    for (let index = 0; index < 40; index++) {
      const parts = [0, 0, index % 3, system, longTurn(index)];
      expect(seededDraws(parts).uniform("comply")).toBe(expected(parts, "comply"));
    }
    for (const parts of [
      [0, 0, 3, system, "<user_input>q</user_input>"],
      [7, 1, 3, system, "<user_input>q</user_input>"],
      [0, 0, 3, system, "<user_input>q</user_input>", 2],
      [0, 0, 4, `${system}!`, "short"],
      [],
    ]) {
      // Twice: the second time the long part's hash step comes from memory.
      expect(seededDraws(parts).uniform("comply")).toBe(expected(parts, "comply"));
      expect(seededDraws(parts).uniform("comply")).toBe(expected(parts, "comply"));
    }
  });
});
