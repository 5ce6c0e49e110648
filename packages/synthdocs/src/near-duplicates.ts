function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A 32-bit avalanche mix (murmur3 finaliser): seeding it gives independent-looking hash functions. */
function mix(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Hashed word n-gram shingles of a text (lower-cased, punctuation folded to spaces), sorted and unique.
 * Hashes instead of strings keep memory at four bytes per shingle for corpora of tens of thousands of
 * documents. A text shorter than `size` words is one shingle.
 */
export function shingleHashes(text: string, size: number): Uint32Array {
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .split(" ")
    .filter((word) => word.length > 0);
  const hashes = new Set<number>();
  if (words.length > 0 && words.length < size) hashes.add(fnv1a(words.join(" ")));
  for (let index = 0; index + size <= words.length; index += 1) {
    hashes.add(fnv1a(words.slice(index, index + size).join(" ")));
  }
  return Uint32Array.from(hashes).sort();
}

/** Exact Jaccard similarity of two sorted unique hash arrays (1 for two empty ones). */
export function jaccardSorted(left: Uint32Array, right: Uint32Array): number {
  if (left.length === 0 && right.length === 0) return 1;
  let shared = 0;
  let leftIndex = 0;
  let rightIndex = 0;
  while (leftIndex < left.length && rightIndex < right.length) {
    const leftValue = left[leftIndex] as number;
    const rightValue = right[rightIndex] as number;
    if (leftValue === rightValue) {
      shared += 1;
      leftIndex += 1;
      rightIndex += 1;
    } else if (leftValue < rightValue) leftIndex += 1;
    else rightIndex += 1;
  }
  return shared / (left.length + right.length - shared);
}

/** MinHash signature: for each seeded hash function, the minimum over the shingle hashes. */
export function minHashSignature(items: Uint32Array, permutations: number): Uint32Array {
  const signature = new Uint32Array(permutations).fill(0xffffffff);
  for (const base of items) {
    for (let index = 0; index < permutations; index += 1) {
      const value = mix(base ^ mix(index + 0x9e3779b9));
      if (value < (signature[index] as number)) signature[index] = value;
    }
  }
  return signature;
}

export interface NearDuplicateOptions {
  /** Words per shingle. */
  shingleSize: number;
  /** A document whose Jaccard similarity to an earlier kept one reaches this is a duplicate. */
  threshold: number;
  /** MinHash functions; must be divisible by `bands`. */
  permutations: number;
  /** LSH bands: more bands find pairs with lower similarity as candidates. */
  bands: number;
}

export const defaultNearDuplicateOptions: NearDuplicateOptions = {
  shingleSize: 5,
  threshold: 0.7,
  permutations: 128,
  bands: 32,
};

/**
 * Find near-duplicates in order: each text is compared with the texts kept before it. MinHash with
 * banded locality-sensitive hashing proposes candidate pairs, and the exact Jaccard similarity of the
 * shingle sets decides, so a reported duplicate always really is one.
 * Returns, for each duplicate's index, the index of the kept text it duplicates and their similarity.
 */
export function findNearDuplicates(
  texts: readonly string[],
  options: NearDuplicateOptions = defaultNearDuplicateOptions,
): Map<number, { of: number; similarity: number }> {
  if (options.permutations % options.bands !== 0) {
    throw new RangeError("permutations must be divisible by bands");
  }
  const rows = options.permutations / options.bands;
  const buckets = new Map<string, number[]>();
  // Only kept texts can be matched later, so only their shingles are held.
  const keptShingles = new Map<number, Uint32Array>();
  const duplicates = new Map<number, { of: number; similarity: number }>();
  texts.forEach((text, index) => {
    const set = shingleHashes(text, options.shingleSize);
    const signature = minHashSignature(set, options.permutations);
    const keys: string[] = [];
    const candidates = new Set<number>();
    for (let band = 0; band < options.bands; band += 1) {
      const key = `${band}:${signature.subarray(band * rows, (band + 1) * rows).join(",")}`;
      keys.push(key);
      for (const candidate of buckets.get(key) ?? []) candidates.add(candidate);
    }
    let best: { of: number; similarity: number } | undefined;
    for (const candidate of candidates) {
      const similarity = jaccardSorted(set, keptShingles.get(candidate) as Uint32Array);
      if (similarity >= options.threshold && (!best || similarity > best.similarity)) {
        best = { of: candidate, similarity };
      }
    }
    if (best) {
      duplicates.set(index, best);
      return;
    }
    keptShingles.set(index, set);
    for (const key of keys) {
      const bucket = buckets.get(key);
      if (bucket) bucket.push(index);
      else buckets.set(key, [index]);
    }
  });
  return duplicates;
}
