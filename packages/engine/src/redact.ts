import {
  redactSecretsDeep,
  type SampleInput,
  secretRedactedFlagOf,
  secretsFromEnvironment,
  type VerdictInput,
} from "@aflab/core";

/** The exact secret values to look for besides key-shaped text: the process's key variables by default. */
export function knownSecrets(secrets: readonly string[] | undefined): readonly string[] {
  return secrets ?? secretsFromEnvironment(process.env);
}

/**
 * A model may echo a key it was shown (in a prompt file, a document, a query): the sample is redacted
 * before it is stored, so the store never holds one. The count is what the turns and the failure message
 * held (output and scratchpad are cut from the turns, so they are not counted twice) and is recorded in the
 * sample's flags as `secret_redacted:<count>`.
 */
export function redactSample(sample: SampleInput, secrets: readonly string[]): SampleInput {
  const turns = redactSecretsDeep(sample.turns, secrets);
  const failure = redactSecretsDeep(sample.failure ?? null, secrets);
  const derived = redactSecretsDeep(
    { query: sample.query, output: sample.output ?? null, scratchpad: sample.scratchpad ?? null },
    secrets,
  );
  const count = turns.count + failure.count;
  if (count === 0 && derived.count === 0) return sample;
  return {
    ...sample,
    ...derived.value,
    turns: turns.value,
    failure: failure.value,
    flags: [...(sample.flags ?? []), secretRedactedFlagOf(Math.max(count, derived.count))],
  };
}

/** A judge's raw answers and quotes are redacted the same way before the verdict is stored. */
export function redactVerdict(verdict: VerdictInput, secrets: readonly string[]): VerdictInput {
  return redactSecretsDeep(verdict, secrets).value;
}
