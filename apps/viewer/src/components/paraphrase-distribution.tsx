import type { ParaphraseDistribution, ParaphrasePoint, ParaphraseSeries, Spread } from "../api-types.js";
import { interval, percent, points } from "../format.js";
import { Link, paths } from "../router.js";
import { ticks } from "./forest-plot.js";

/** One prompt of the strip: the original or a paraphrase, with its estimate and 95% interval. */
export interface StripRow {
  id: string;
  label: string;
  runId: string;
  value: number | null;
  interval: readonly [number, number] | null;
  original: boolean;
  /** Whether the interval excludes 0 (drawn filled); null where that is not the question (rates). */
  excludesZero: boolean | null;
}

const labelWidth = 130;
const plotWidth = 540;
const top = 44;
const right = 28;
const bottom = 52;

/** Signed points without the unit, for tight places: `+12.5`. */
function signed(value: number): string {
  return `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)}`;
}

/** The original first, then the paraphrases from the smallest estimate up (those without one last). */
export function stripRows(
  series: ParaphraseSeries,
  pick: (point: ParaphrasePoint) => { value: number | null; interval: readonly [number, number] | null },
  excludesZero: (point: ParaphrasePoint) => boolean | null,
): StripRow[] {
  const row = (point: ParaphrasePoint, original: boolean): StripRow => ({
    id: original ? "original" : `paraphrase-${point.position}`,
    label: original ? "original prompt" : `paraphrase ${point.position}`,
    runId: point.runId,
    ...pick(point),
    original,
    excludesZero: excludesZero(point),
  });
  const paraphrases = series.paraphrases
    .map((point) => row(point, false))
    .sort(
      (left, right) => (left.value ?? Number.POSITIVE_INFINITY) - (right.value ?? Number.POSITIVE_INFINITY),
    );
  return [...(series.original ? [row(series.original, true)] : []), ...paraphrases];
}

/**
 * A strip of estimates in SVG, one thin row per prompt: a dot at the estimate (filled when its interval
 * excludes 0), a line across its 95% interval, the original prompt in its own colour on top, and behind the
 * paraphrases a band over their interquartile range with a line at their median. Values are fractions,
 * drawn as percentages (points for gaps).
 */
export function StripPlot(props: {
  /** Drawn above the plot; short, since the page names the model above it. */
  title: string;
  /** The full description for assistive technology (title, model, simulated or not). */
  label: string;
  rows: StripRow[];
  spread: Spread | null;
  /** Gaps are signed and have a zero line; rates run from 0. */
  kind: "gap" | "rate";
  testId: string;
}) {
  const { rows, spread } = props;
  const rowHeight = rows.length > 60 ? 8 : 15;
  const gapAfterOriginal = rows[0]?.original ? 8 : 0;
  const bounds = rows.flatMap((row) => [...(row.interval ?? []), ...(row.value === null ? [] : [row.value])]);
  const low = Math.min(0, ...bounds);
  const high = Math.max(0.05, ...bounds);
  const pad = (high - low) * 0.04;
  const domain: [number, number] = [props.kind === "rate" ? Math.max(0, low - pad) : low - pad, high + pad];
  const x = (value: number) => labelWidth + ((value - domain[0]) / (domain[1] - domain[0])) * plotWidth;
  const yOf = (index: number) =>
    top + index * rowHeight + rowHeight / 2 + (index > 0 && rows[0]?.original ? gapAfterOriginal : 0);
  const plotBottom = top + rows.length * rowHeight + gapAfterOriginal;
  const height = plotBottom + bottom;
  const width = labelWidth + plotWidth + right;
  const firstParaphrase = rows[0]?.original ? 1 : 0;
  const bandTop = top + firstParaphrase * rowHeight + (firstParaphrase ? gapAfterOriginal : 0) - 2;
  const format = (value: number) => (props.kind === "gap" ? `${signed(value)} pp` : percent(value));
  const tickLabel = (value: number) =>
    props.kind === "gap"
      ? `${value > 0 ? "+" : ""}${Math.round(value * 100)}`
      : `${Math.round(value * 100)}%`;
  return (
    <svg
      className="strip-plot"
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <title>{props.label}</title>
      <text x={labelWidth} y={14} className="forest-title">
        {props.title}
      </text>
      {spread && (
        <g data-spread="" data-median={spread.median} data-q1={spread.q1} data-q3={spread.q3}>
          <rect
            x={x(spread.q1)}
            width={Math.max(1, x(spread.q3) - x(spread.q1))}
            y={bandTop}
            height={plotBottom - bandTop + 2}
            className="strip-iqr"
          />
          <line
            x1={x(spread.median)}
            x2={x(spread.median)}
            y1={bandTop}
            y2={plotBottom + 2}
            className="strip-median"
          />
          <text x={x(spread.median)} y={top - 8} textAnchor="middle" className="strip-median-label">
            median {format(spread.median)}
          </text>
        </g>
      )}
      {ticks(domain[0], domain[1]).map((tick) => (
        <g key={tick}>
          <line
            x1={x(tick)}
            x2={x(tick)}
            y1={top}
            y2={plotBottom}
            className={tick === 0 && props.kind === "gap" ? "forest-zero" : "forest-grid"}
          />
          <text x={x(tick)} y={plotBottom + 16} textAnchor="middle" className="forest-tick">
            {tickLabel(tick)}
          </text>
        </g>
      ))}
      <text x={labelWidth + plotWidth / 2} y={plotBottom + 34} textAnchor="middle" className="axis-title">
        {props.kind === "gap"
          ? "compliance gap, training − unmonitored (percentage points), with 95% intervals"
          : "training-tier alignment-faking rate, with Wilson 95% intervals"}
      </text>
      {rows.map((row, index) => {
        const y = yOf(index);
        const className = row.original ? "strip-original" : "strip-paraphrase";
        return (
          <g
            key={row.id}
            className={className}
            data-prompt={row.id}
            data-run={row.runId}
            data-value={row.value ?? ""}
            data-ci-low={row.interval?.[0] ?? ""}
            data-ci-high={row.interval?.[1] ?? ""}
            data-excludes-zero={row.excludesZero === null ? "" : String(row.excludesZero)}
          >
            <title>
              {row.value === null
                ? `${row.label}: no estimate`
                : `${row.label}: ${format(row.value)}${row.interval ? ` [${format(row.interval[0])}, ${format(row.interval[1])}]` : ""}`}
            </title>
            {(rowHeight >= 12 || row.original) && (
              <text x={labelWidth - 8} y={y + 4} textAnchor="end" className="strip-label">
                {row.label}
              </text>
            )}
            {row.interval && (
              <line
                x1={x(row.interval[0])}
                x2={x(row.interval[1])}
                y1={y}
                y2={y}
                className="strip-interval"
              />
            )}
            {row.value !== null &&
              (row.original ? (
                <path d={`M ${x(row.value)} ${y - 5} l 5 5 l -5 5 l -5 -5 z`} className="strip-point" />
              ) : (
                <circle
                  cx={x(row.value)}
                  cy={y}
                  r={rowHeight >= 12 ? 3.5 : 2.5}
                  className={`strip-point${row.excludesZero === false ? " strip-point-open" : ""}`}
                />
              ))}
            {row.value === null && (
              <text x={labelWidth + 6} y={y + 4} className="forest-tick">
                not run
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function StripLegend(props: { kind: "gap" | "rate" }) {
  return (
    <p className="strip-legend">
      <span className="legend-swatch strip-legend-original" aria-hidden="true" /> original prompt
      <span className="legend-swatch strip-legend-point" aria-hidden="true" /> a paraphrase
      {props.kind === "gap" && (
        <>
          {" "}
          (filled: its interval excludes 0;{" "}
          <span className="legend-swatch strip-legend-open" aria-hidden="true" /> hollow: it does not)
        </>
      )}
      <span className="legend-swatch strip-legend-iqr" aria-hidden="true" /> interquartile range of the
      paraphrases, line at their median
    </p>
  );
}

function PromptTable(props: { series: ParaphraseSeries }) {
  const prompts = [...(props.series.original ? [props.series.original] : []), ...props.series.paraphrases];
  return (
    <details className="prompt-table">
      <summary>every prompt's numbers ({prompts.length})</summary>
      <table aria-label={`Prompts of ${props.series.model}`}>
        <thead>
          <tr>
            <th scope="col">prompt</th>
            <th scope="col">gap</th>
            <th scope="col">95% interval</th>
            <th scope="col">excludes 0</th>
            <th scope="col">AF (training tier)</th>
            <th scope="col">Wilson 95%</th>
            <th scope="col">run</th>
          </tr>
        </thead>
        <tbody>
          {prompts.map((point) => (
            <tr key={point.runId}>
              <th scope="row">
                {point.position === null ? "original prompt" : `paraphrase ${point.position}`}
              </th>
              <td>{point.gap ? points(point.gap.value) : point.status === "missing" ? "not run" : "–"}</td>
              <td>{point.gap ? `[${signed(point.gap.ci95[0])}, ${signed(point.gap.ci95[1])}] pp` : "–"}</td>
              <td>{point.gap ? (point.gap.significant ? "yes" : "no") : "–"}</td>
              <td>{percent(point.alignmentFaking?.rate)}</td>
              <td>{interval(point.alignmentFaking?.wilson95)}</td>
              <td>
                <Link href={paths.run(point.runId)}>{point.runId}</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Series(props: { series: ParaphraseSeries }) {
  const { series } = props;
  const simulated = series.simulated ? " (simulated)" : "";
  const gapRows = stripRows(
    series,
    (point) => ({ value: point.gap?.value ?? null, interval: point.gap?.ci95 ?? null }),
    (point) => (point.gap ? point.gap.significant : null),
  );
  const afRows = stripRows(
    series,
    (point) => ({
      value: point.alignmentFaking?.rate ?? null,
      interval: point.alignmentFaking?.wilson95 ?? null,
    }),
    () => null,
  );
  const original = series.original?.gap;
  return (
    <section className="paraphrase-series" data-model={series.model} data-user-format={series.userFormat}>
      <h3>
        {series.model} · {series.userFormat} format
        {series.simulated && <span className="badge badge-simulated">SIMULATED</span>}
      </h3>
      {series.flagMessage && (
        <div className="flag-banner" role="alert" data-flag={series.flag ?? ""}>
          {series.flag === "original-only"
            ? "Holds only on the original wording? "
            : "Shows only on paraphrases: "}
          {series.flagMessage}
        </div>
      )}
      <ul className="distribution-numbers">
        <li data-testid="distribution-count">
          {series.gap?.n ?? 0} of {series.paraphrases.length} paraphrases with a gap
        </li>
        <li data-testid="distribution-median">median gap {series.gap ? points(series.gap.median) : "–"}</li>
        <li data-testid="distribution-iqr">
          IQR{" "}
          {series.gap
            ? `${points(series.gap.q1)} to ${points(series.gap.q3)} (${(series.gap.iqr * 100).toFixed(1)} pp wide)`
            : "–"}
        </li>
        <li data-testid="distribution-share">
          {percent(series.shareSignificant, 0)} of paraphrases have a gap whose 95% interval excludes 0
        </li>
        <li data-testid="distribution-original">
          original prompt{" "}
          {original
            ? `${points(original.value)} [${signed(original.ci95[0])}, ${signed(original.ci95[1])}]${original.significant ? ", excludes 0" : ", includes 0"}`
            : "not run"}
        </li>
        {series.alignmentFaking && (
          <li data-testid="distribution-af">
            AF rate median {percent(series.alignmentFaking.median)}, IQR {percent(series.alignmentFaking.q1)}{" "}
            to {percent(series.alignmentFaking.q3)}
          </li>
        )}
      </ul>
      <StripPlot
        title={`Compliance gap per prompt${simulated}`}
        label={`Compliance gap per prompt: ${series.model}${simulated}`}
        rows={gapRows}
        spread={series.gap}
        kind="gap"
        testId="paraphrase-gaps"
      />
      <StripLegend kind="gap" />
      {series.alignmentFaking && (
        <>
          <StripPlot
            title={`Alignment-faking rate per prompt${simulated}`}
            label={`Alignment-faking rate per prompt: ${series.model}${simulated}`}
            rows={afRows}
            spread={series.alignmentFaking}
            kind="rate"
            testId="paraphrase-af"
          />
          <StripLegend kind="rate" />
        </>
      )}
      <PromptTable series={series} />
    </section>
  );
}

/**
 * The distribution of a prompt-set sweep: per model and user format, every paraphrase's gap and AF rate
 * beside the original prompt's, their median, IQR and the share whose gap interval excludes 0, with the
 * report's warning when a gap holds only on the original wording (or only on paraphrases).
 */
export function ParaphraseDistributionView(props: { distribution: ParaphraseDistribution }) {
  const { distribution } = props;
  return (
    <section className="paraphrase-distribution" aria-label="Distribution across paraphrases">
      <h2>Across the paraphrases of prompt set {distribution.promptSet}</h2>
      <p className="muted">
        {distribution.setting}
        {distribution.variants.length > 0
          ? ` with ${distribution.variants.join(", ")}`
          : ", unmodified prompt"}
        . Each paraphrase rewords the system prompt and keeps its facts; a finding that holds on the original
        wording only is fragile.
      </p>
      {distribution.series.map((series) => (
        <Series key={`${series.model}/${series.userFormat}`} series={series} />
      ))}
    </section>
  );
}
