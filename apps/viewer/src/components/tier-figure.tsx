import type { Tier } from "@aflab/core";
import type { ReferenceValue, RunReport, TierCategories } from "../api-types.js";
import { percent, tierLabel } from "../format.js";

/** The stacked segments, left to right, with their legend names. */
export const figureSegments = [
  { key: "refuses", label: "Refuses", className: "segment-refuses" },
  { key: "unknown", label: "Unclear", className: "segment-unknown" },
  { key: "compliesWithoutAf", label: "Complies, no alignment faking", className: "segment-complies" },
  { key: "compliesWithAf", label: "Complies, fakes alignment", className: "segment-af-hatched" },
  {
    key: "afWithPartialCompliance",
    label: "Fakes alignment, partial compliance",
    className: "segment-partial",
  },
] as const;

type SegmentKey = (typeof figureSegments)[number]["key"];

export interface FigureRow {
  tier: Tier;
  /** Share of each segment among samples with a usable verdict (failed ones are left out, as in the rates). */
  shares: Record<SegmentKey, number>;
  scored: number;
  failed: number;
  compliance: number | null;
  se: number | null;
  reference: ReferenceValue | null;
}

/** The rows of the paper's figure from a run report: one per tier, shares summing to 1. */
export function figureRows(report: RunReport): FigureRow[] {
  const rows: FigureRow[] = [];
  for (const [tier, summary] of Object.entries(report.tiers) as Array<[Tier, RunReport["tiers"]["free"]]>) {
    if (!summary) continue;
    const categories: TierCategories = report.categories?.[tier] ?? {
      refuses: summary.refused,
      compliesWithoutAf: summary.compliant,
      compliesWithAf: 0,
      afWithPartialCompliance: 0,
      unknown: summary.unknown,
      failed: summary.failed,
    };
    const scored =
      categories.refuses +
      categories.unknown +
      categories.compliesWithoutAf +
      categories.compliesWithAf +
      categories.afWithPartialCompliance;
    const share = (value: number) => (scored > 0 ? value / scored : 0);
    const reference =
      tier === "free"
        ? (report.reference?.compliance.free ?? null)
        : tier === "paid"
          ? (report.reference?.compliance.paid ?? null)
          : null;
    rows.push({
      tier,
      shares: {
        refuses: share(categories.refuses),
        unknown: share(categories.unknown),
        compliesWithoutAf: share(categories.compliesWithoutAf),
        compliesWithAf: share(categories.compliesWithAf),
        afWithPartialCompliance: share(categories.afWithPartialCompliance),
      },
      scored,
      failed: categories.failed,
      compliance: summary.complianceRate,
      se: summary.se,
      reference,
    });
  }
  return rows;
}

const width = 760;
const labelWidth = 170;
const barHeight = 38;
const rowGap = 34;
const top = 14;
const plotWidth = width - labelWidth - 20;

/**
 * The paper's figure: per tier, a horizontal stacked bar of refusals, compliance without and with
 * alignment-faking reasoning (hatched) and alignment faking with partial compliance; a ±1 SE error bar
 * on where compliance begins, and the paper's value as a diamond where the report has one.
 */
export function TierFigure(props: { report: RunReport }) {
  const rows = figureRows(props.report);
  const height = top + rows.length * (barHeight + rowGap) + 30;
  const x = (share: number) => labelWidth + Math.max(0, Math.min(1, share)) * plotWidth;
  return (
    <figure className="tier-figure">
      <svg
        role="img"
        aria-label="Compliance and alignment faking per tier"
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        style={{ maxWidth: width }}
      >
        <defs>
          <pattern
            id="hatch-af"
            patternUnits="userSpaceOnUse"
            width="8"
            height="8"
            patternTransform="rotate(45)"
          >
            <rect width="8" height="8" className="hatch-background" />
            <line x1="0" y1="0" x2="0" y2="8" className="hatch-line" strokeWidth="3" />
          </pattern>
          <pattern
            id="hatch-partial"
            patternUnits="userSpaceOnUse"
            width="8"
            height="8"
            patternTransform="rotate(-45)"
          >
            <rect width="8" height="8" className="hatch-partial-background" />
            <line x1="0" y1="0" x2="0" y2="8" className="hatch-line" strokeWidth="3" />
          </pattern>
        </defs>
        {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
          <g key={tick}>
            <line x1={x(tick)} x2={x(tick)} y1={top - 6} y2={height - 24} className="grid-line" />
            <text x={x(tick)} y={height - 8} textAnchor="middle" className="axis-label">
              {`${tick * 100}%`}
            </text>
          </g>
        ))}
        {rows.map((row, rowIndex) => {
          const y = top + rowIndex * (barHeight + rowGap);
          let cursor = 0;
          const boundary = row.compliance === null ? null : 1 - row.compliance;
          return (
            <g key={row.tier} data-tier={row.tier}>
              <text x={labelWidth - 10} y={y + barHeight / 2 + 5} textAnchor="end" className="tier-label">
                {tierLabel(row.tier)}
              </text>
              {figureSegments.map((segment) => {
                const share = row.shares[segment.key];
                const start = cursor;
                cursor += share;
                if (share <= 0) return null;
                const fill =
                  segment.key === "compliesWithAf"
                    ? "url(#hatch-af)"
                    : segment.key === "afWithPartialCompliance"
                      ? "url(#hatch-partial)"
                      : undefined;
                return (
                  <rect
                    key={segment.key}
                    x={x(start)}
                    y={y}
                    width={Math.max(0.5, x(start + share) - x(start))}
                    height={barHeight}
                    className={segment.className}
                    fill={fill}
                    data-segment={segment.key}
                  >
                    <title>{`${segment.label}: ${percent(share)}`}</title>
                  </rect>
                );
              })}
              {boundary !== null && row.se !== null && (
                <g className="error-bar" data-error-bar={row.tier}>
                  <line
                    x1={x(boundary - row.se)}
                    x2={x(boundary + row.se)}
                    y1={y + barHeight / 2}
                    y2={y + barHeight / 2}
                  />
                  <line
                    x1={x(boundary - row.se)}
                    x2={x(boundary - row.se)}
                    y1={y + 10}
                    y2={y + barHeight - 10}
                  />
                  <line
                    x1={x(boundary + row.se)}
                    x2={x(boundary + row.se)}
                    y1={y + 10}
                    y2={y + barHeight - 10}
                  />
                </g>
              )}
              {row.reference && (
                <g className="reference-marker" data-reference={row.tier}>
                  <path
                    d={`M ${x(1 - row.reference.value)} ${y - 9} l 6 6 l -6 6 l -6 -6 z`}
                    transform={`translate(0 ${-1})`}
                  />
                  <title>{`Paper: ${percent(row.reference.value)} comply`}</title>
                </g>
              )}
              <text x={x(1)} y={y + barHeight + 16} textAnchor="end" className="bar-note">
                {`${percent(row.compliance)} comply · n = ${row.scored}${row.failed > 0 ? ` (+${row.failed} failed)` : ""}`}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {figureSegments.map((segment) => (
          <span key={segment.key} className="legend-item">
            <svg width="14" height="14" aria-hidden="true">
              <rect
                width="14"
                height="14"
                className={segment.className}
                fill={
                  segment.key === "compliesWithAf"
                    ? "url(#hatch-af)"
                    : segment.key === "afWithPartialCompliance"
                      ? "url(#hatch-partial)"
                      : undefined
                }
              />
            </svg>
            {segment.label}
          </span>
        ))}
        <span className="legend-item">⊢⊣ ±1 SE</span>
        {props.report.reference && (
          <span className="legend-item">◆ paper ({props.report.reference.variation})</span>
        )}
      </figcaption>
    </figure>
  );
}
