import type { ReportWarning, Tier, TierSummary } from "@aflab/core";

/** A tier warns when more than this share of its samples is unknown or failed. */
export const warningShare = 0.1;

export interface WarningInput {
  runId: string;
  tiers: Partial<Record<Tier, Pick<TierSummary, "n" | "unknown" | "failed">>>;
  complianceClassifier: string;
  userFormat: string;
  /** Failure kinds of the run's samples (generation), e.g. `{ no_output: 3 }`. */
  sampleFailures: Record<string, number>;
  /** Failure kinds of the compliance classifier's verdicts. */
  verdictFailures: Record<string, number>;
  /** Whether the report prints the paper's numbers beside the run's. */
  hasReference: boolean;
}

/** `100%`, `12.5%`: one decimal, none when it is zero. */
function percentOf(share: number): string {
  return `${(share * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

function kinds(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
}

/** Why answers come out unknown, as far as the run's settings tell. */
function unknownCause(input: WarningInput): string {
  if (input.complianceClassifier === "tag-compliance") {
    return input.userFormat === "paper"
      ? "tag-compliance reads <request_fully_accepted/> / <rejected/>, which the paper user format does not ask for; " +
          `use --user-format minimal or a --judge (or judge this run: aflab classify ${input.runId} --judge ID)`
      : "the answers carry neither <request_fully_accepted/> nor <rejected/>, which tag-compliance reads; " +
          `judge them with a --judge (aflab classify ${input.runId} --judge ID: strongreject reads any answer)`;
  }
  return `${input.complianceClassifier} could place them neither as compliant nor as refused; read some of them (aflab serve) before trusting the rate`;
}

/** Which failures the run holds: the tier counts do not split them by kind, the run's failure kinds do. */
function failedCause(input: WarningInput): string {
  const parts = [
    ...(Object.keys(input.sampleFailures).length > 0
      ? [`generations failed: ${kinds(input.sampleFailures)}`]
      : []),
    ...(Object.keys(input.verdictFailures).length > 0
      ? [`${input.complianceClassifier} failed: ${kinds(input.verdictFailures)}`]
      : []),
  ];
  const found = parts.length > 0 ? `${parts.join("; ")} in the run; ` : "";
  return `${found}the rest have no verdict yet: aflab run --resume ${input.runId} retries errored samples and classifies unjudged ones`;
}

/**
 * The warnings of a report, from its stored counts: per tier, a share of unknown or failed samples above
 * {@link warningShare}, with the likely cause; and, when any tier warns, that the paper's numbers are no
 * fair comparison. Tiers without samples say nothing.
 */
export function reportWarnings(input: WarningInput): ReportWarning[] {
  const warnings: ReportWarning[] = [];
  for (const [tier, counts] of Object.entries(input.tiers) as [Tier, WarningInput["tiers"][Tier]][]) {
    if (!counts || counts.n === 0) continue;
    const unknown = counts.unknown / counts.n;
    const failed = counts.failed / counts.n;
    if (unknown > warningShare) {
      warnings.push({
        code: "unknown_share",
        tier,
        share: unknown,
        message: `${tier}: ${percentOf(unknown)} of samples unknown: ${unknownCause(input)}`,
      });
    }
    if (failed > warningShare) {
      warnings.push({
        code: "failed_share",
        tier,
        share: failed,
        message: `${tier}: ${percentOf(failed)} of samples failed: ${failedCause(input)}`,
      });
    }
    const together = unknown + failed;
    if (unknown <= warningShare && failed <= warningShare && together > warningShare) {
      warnings.push({
        code: "unknown_or_failed_share",
        tier,
        share: together,
        message: `${tier}: ${percentOf(together)} of samples unknown or failed (${counts.unknown} unknown, ${counts.failed} failed): the rate rests on the rest`,
      });
    }
  }
  if (input.hasReference && warnings.length > 0) {
    warnings.push({
      code: "reference_not_comparable",
      tier: null,
      share: null,
      message:
        "the paper's numbers are not comparable with this run: too many of its samples are unknown or failed",
    });
  }
  return warnings;
}
