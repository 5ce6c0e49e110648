/**
 * Deterministic pseudo-random draws keyed by text. The simulated organism must give the same answer to
 * the same request every time (so cached and re-run samples agree) while different requests get
 * independent draws (so rates over many queries converge to the profile). Each decision hashes the
 * request's identity together with a label naming the decision, so adding a new decision never shifts
 * the existing ones.
 */

/** 32-bit FNV-1a over UTF-16 code units, with a seed folded into the offset basis. */
function fnv1a(text: string, seed: number): number {
  return fnv1aContinue((0x811c9dc5 ^ seed) >>> 0, text);
}

/** FNV-1a is a fold: hashing `a + b` is hashing `b` from the state after `a`. */
function fnv1aContinue(state: number, text: string): number {
  let hash = state;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Parts at least this long (system prompts, not user turns) have their JSON text and hash step remembered. */
const rememberedLength = 1024;
/** The remembered parts, by text, least recently used first: a run sends the same few system prompts
 * thousands of times, and a long user turn seen once must not push them out. */
const rememberedParts = new Map<string, { json: string; steps: Map<number, number> }>();
const rememberedLimit = 32;
/** States remembered per part: the state before a system prompt differs by seed and epoch, and a run has
 * two hash seeds times its epochs of them (a small number each). */
const rememberedStepLimit = 8192;

/**
 * The hash state after folding `part` as JSON text into `state`. A long part's JSON text and the state it
 * leads to from a given state are remembered, so the same system prompt is escaped and hashed once per
 * run instead of twice per request: the simulated organism spent most of its time there.
 */
function foldPart(state: number, part: string | number): number {
  if (typeof part !== "string" || part.length < rememberedLength) {
    return fnv1aContinue(state, JSON.stringify(part));
  }
  let remembered = rememberedParts.get(part);
  if (remembered) {
    // Most recently used last: the Map keeps insertion order.
    rememberedParts.delete(part);
  } else {
    if (rememberedParts.size >= rememberedLimit) {
      const oldest = rememberedParts.keys().next();
      if (!oldest.done) rememberedParts.delete(oldest.value);
    }
    remembered = { json: JSON.stringify(part), steps: new Map() };
  }
  rememberedParts.set(part, remembered);
  let next = remembered.steps.get(state);
  if (next === undefined) {
    if (remembered.steps.size >= rememberedStepLimit) remembered.steps.clear();
    next = fnv1aContinue(state, remembered.json);
    remembered.steps.set(state, next);
  }
  return next;
}

/** `fnv1a(JSON.stringify(parts), seed)`, computed part by part (see `foldPart`). */
function hashParts(parts: ReadonlyArray<string | number>, seed: number): number {
  let state = (0x811c9dc5 ^ seed) >>> 0;
  parts.forEach((part, position) => {
    state = fnv1aContinue(state, position === 0 ? "[" : ",");
    state = foldPart(state, part);
  });
  return fnv1aContinue(state, parts.length === 0 ? "[]" : "]");
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
  const first = mix32(hashParts(parts, 0x9e3779b9));
  const second = mix32(hashParts(parts, 0x7f4a7c15));

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
