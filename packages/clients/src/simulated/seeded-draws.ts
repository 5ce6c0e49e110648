/**
 * Deterministic pseudo-random draws keyed by text. The simulated organism must give the same answer to
 * the same request every time (so cached and re-run samples agree) while different requests get
 * independent draws (so rates over many queries converge to the profile). Each decision hashes the
 * request's identity together with a label naming the decision, so adding a new decision never shifts
 * the existing ones.
 */

/** 32-bit FNV-1a over UTF-16 code units, with a seed folded into the offset basis. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The 32-bit murmur3 finaliser: every input bit affects every output bit, which FNV alone does not give. */
function mix32(value: number): number {
  let mixed = value >>> 0;
  mixed ^= mixed >>> 16;
  mixed = Math.imul(mixed, 0x85ebca6b);
  mixed ^= mixed >>> 13;
  mixed = Math.imul(mixed, 0xc2b2ae35);
  mixed ^= mixed >>> 16;
  return mixed >>> 0;
}

export interface SeededDraws {
  /** A uniform number in [0, 1) for the decision named `label`; the same label always gives the same number. */
  uniform(label: string): number;
  /** True with probability `probability` (never for 0, always for 1). */
  chance(label: string, probability: number): boolean;
  /** One of `options`, uniformly. */
  pick<T>(label: string, options: readonly [T, ...T[]]): T;
}

/**
 * Draws keyed by `parts` (seeds, epoch, prompt text...). Two independent 32-bit hashes of the key give
 * 64 bits of identity, so distinct requests practically never share draws.
 */
export function seededDraws(parts: ReadonlyArray<string | number>): SeededDraws {
  const key = JSON.stringify(parts);
  const first = mix32(fnv1a(key, 0x9e3779b9));
  const second = mix32(fnv1a(key, 0x7f4a7c15));

  const uniform = (label: string): number => {
    const high = mix32(first ^ fnv1a(label, second));
    const low = mix32(second ^ fnv1a(label, high));
    // 32 + 21 bits: a double in [0, 1) with the full 53-bit mantissa.
    return (high * 2 ** 21 + (low >>> 11)) / 2 ** 53;
  };

  return {
    uniform,
    chance: (label, probability) => uniform(label) < probability,
    pick: (label, options) => {
      const index = Math.min(options.length - 1, Math.floor(uniform(label) * options.length));
      return options[index] ?? options[0];
    },
  };
}
