import { describe, expect, it } from "vitest";
import { findNearDuplicates, jaccardSorted, shingleHashes } from "./near-duplicates.js";

/** Independent reference: string shingles and set Jaccard, no hashing. */
function referenceShingles(text: string, size: number): Set<string> {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean);
  const result = new Set<string>();
  if (words.length > 0 && words.length < size) result.add(words.join(" "));
  for (let index = 0; index + size <= words.length; index += 1)
    result.add(words.slice(index, index + size).join(" "));
  return result;
}

function referenceJaccard(left: Set<string>, right: Set<string>): number {
  const shared = [...left].filter((item) => right.has(item)).length;
  return shared / (left.size + right.size - shared);
}

function seededWords(seed: number, count: number): string[] {
  let state = seed;
  const words: string[] = [];
  for (let index = 0; index < count; index += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    words.push(`w${state % 400}`);
  }
  return words;
}

describe("near-duplicate detection", () => {
  it("computes the same Jaccard as plain string sets", () => {
    const left = "The quick brown fox jumps over the lazy dog, again and again and again.";
    const right = "The quick brown fox jumps over the lazy cat, again and again.";
    const expected = referenceJaccard(referenceShingles(left, 3), referenceShingles(right, 3));
    expect(jaccardSorted(shingleHashes(left, 3), shingleHashes(right, 3))).toBeCloseTo(expected, 12);
  });

  it("finds exactly the pairs at or above the threshold on a corpus with planted edits", () => {
    const texts: string[] = [];
    for (let base = 0; base < 30; base += 1) texts.push(seededWords(base + 1, 120).join(" "));
    // Plant near-copies: change a few words of some originals, and heavily rewrite others.
    for (const [source, changes] of [
      [0, 2],
      [3, 4],
      [7, 60],
      [11, 1],
      [20, 90],
    ] as const) {
      const words = (texts[source] as string).split(" ");
      for (let index = 0; index < changes; index += 1) words[(index * 37) % words.length] = `edit${index}`;
      texts.push(words.join(" "));
    }
    const threshold = 0.7;
    const found = findNearDuplicates(texts, { shingleSize: 5, threshold, permutations: 128, bands: 32 });

    // Brute force with the reference implementation, in the same keep-the-first order.
    const kept: number[] = [];
    const expected = new Map<number, number>();
    texts.forEach((text, index) => {
      const match = kept.find(
        (other) =>
          referenceJaccard(referenceShingles(text, 5), referenceShingles(texts[other] as string, 5)) >=
          threshold,
      );
      if (match === undefined) kept.push(index);
      else expected.set(index, match);
    });
    expect(expected.size).toBe(3); // the lightly edited copies of 0, 3 and 11
    expect(new Map([...found].map(([index, match]) => [index, match.of]))).toEqual(expected);
    for (const [index, match] of found) {
      const reference = referenceJaccard(
        referenceShingles(texts[index] as string, 5),
        referenceShingles(texts[match.of] as string, 5),
      );
      expect(match.similarity).toBeCloseTo(reference, 12);
    }
  });

  it("rejects permutations that bands do not divide", () => {
    expect(() =>
      findNearDuplicates(["a"], { shingleSize: 5, threshold: 0.5, permutations: 10, bands: 3 }),
    ).toThrow(RangeError);
  });
});
