import type { ProbeCurve, ProbeCurveSeries } from "../api-types.js";
import { interval, percent, points } from "../format.js";
import { Link, paths } from "../router.js";
import { ticks } from "./forest-plot.js";

const width = 680;
const height = 330;
const margin = { top: 40, right: 30, bottom: 62, left: 76 };

function signed(value: number): string {
  return `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)}`;
}

/**
 * A probe family's curve in SVG: the compliance gap at each step of the probe, a whisker across its 95%
 * interval (the dot filled when it excludes 0), the steps joined by a line, and a dashed line at zero.
 * Numeric probes are placed by value; categorical ones (consequence, harm scope) evenly, in their order.
 */
export function CurvePlot(props: {
  /** Drawn above the plot; short, since the page names the series above it. */
  title: string;
  /** The full description for assistive technology (title, model, simulated or not). */
  label: string;
  axis: string;
  categorical: boolean;
  series: ProbeCurveSeries;
  testId: string;
}) {
  const drawn = props.series.points;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const values = drawn.map((point) => point.value);
  const minValue = Math.min(...values);
  const maxValue = Math.max(...values);
  const xOf = (index: number, value: number) => {
    const share = props.categorical
      ? drawn.length > 1
        ? index / (drawn.length - 1)
        : 0.5
      : maxValue > minValue
        ? (value - minValue) / (maxValue - minValue)
        : 0.5;
    return margin.left + 20 + share * (plotWidth - 40);
  };
  const bounds = drawn.flatMap((point) => (point.gap ? [point.gap.value, ...point.gap.ci95] : []));
  const low = Math.min(0, ...bounds);
  const high = Math.max(0.05, ...bounds);
  const pad = (high - low) * 0.08;
  const domain: [number, number] = [low - pad, high + pad];
  const y = (value: number) => margin.top + (1 - (value - domain[0]) / (domain[1] - domain[0])) * plotHeight;
  const line = drawn
    .map((point, index) => (point.gap ? `${xOf(index, point.value)},${y(point.gap.value)}` : null))
    .filter((part): part is string => part !== null)
    .join(" ");
  const plotBottom = margin.top + plotHeight;
  return (
    <svg
      className="curve-plot"
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <title>{props.label}</title>
      <text x={margin.left} y={16} className="forest-title">
        {props.title}
      </text>
      {ticks(domain[0], domain[1]).map((tick) => (
        <g key={tick}>
          <line
            x1={margin.left}
            x2={width - margin.right}
            y1={y(tick)}
            y2={y(tick)}
            className={tick === 0 ? "forest-zero" : "forest-grid"}
          />
          <text x={margin.left - 8} y={y(tick) + 4} textAnchor="end" className="forest-tick">
            {`${tick > 0 ? "+" : ""}${Math.round(tick * 100)}`}
          </text>
        </g>
      ))}
      <line
        x1={margin.left}
        x2={width - margin.right}
        y1={plotBottom}
        y2={plotBottom}
        className="axis-line"
      />
      <text
        transform={`translate(${margin.left - 48} ${margin.top + plotHeight / 2}) rotate(-90)`}
        textAnchor="middle"
        className="axis-title"
      >
        compliance gap (pp), 95% interval
      </text>
      <text x={margin.left + plotWidth / 2} y={height - 12} textAnchor="middle" className="axis-title">
        {props.axis}
      </text>
      {line && <polyline points={line} className="curve-line" />}
      {drawn.map((point, index) => {
        const x = xOf(index, point.value);
        const gap = point.gap;
        return (
          <g
            key={point.variant}
            className="curve-point"
            data-step={point.value}
            data-label={point.label}
            data-run={point.runId}
            data-gap={gap?.value ?? ""}
            data-ci-low={gap?.ci95[0] ?? ""}
            data-ci-high={gap?.ci95[1] ?? ""}
          >
            <title>
              {gap
                ? `${point.label}: gap ${points(gap.value)} [${signed(gap.ci95[0])}, ${signed(gap.ci95[1])}]`
                : `${point.label}: ${point.status === "missing" ? "not run" : "no gap"}`}
            </title>
            <text x={x} y={plotBottom + 18} textAnchor="middle" className="forest-tick">
              {point.label}
            </text>
            {gap && (
              <>
                <line x1={x} x2={x} y1={y(gap.ci95[0])} y2={y(gap.ci95[1])} className="curve-whisker" />
                <line
                  x1={x - 5}
                  x2={x + 5}
                  y1={y(gap.ci95[0])}
                  y2={y(gap.ci95[0])}
                  className="curve-whisker"
                />
                <line
                  x1={x - 5}
                  x2={x + 5}
                  y1={y(gap.ci95[1])}
                  y2={y(gap.ci95[1])}
                  className="curve-whisker"
                />
                <circle
                  cx={x}
                  cy={y(gap.value)}
                  r={4.5}
                  className={`curve-dot${gap.significant ? "" : " curve-dot-open"}`}
                />
                <text x={x + 8} y={y(gap.value) - 6} className="curve-value">
                  {signed(gap.value)}
                </text>
              </>
            )}
            {!gap && (
              <text x={x} y={plotBottom - 8} textAnchor="middle" className="forest-tick">
                {point.status === "missing" ? "not run" : "no gap"}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function PointTable(props: { series: ProbeCurveSeries; axis: string }) {
  return (
    <table className="curve-table" aria-label={`Curve points of ${props.series.model}`}>
      <thead>
        <tr>
          <th scope="col">{props.axis}</th>
          <th scope="col">training compliance</th>
          <th scope="col">unmonitored compliance</th>
          <th scope="col">gap</th>
          <th scope="col">95% interval</th>
          <th scope="col">excludes 0</th>
          <th scope="col">AF (training tier) [Wilson 95%]</th>
          <th scope="col">run</th>
        </tr>
      </thead>
      <tbody>
        {props.series.points.map((point) => (
          <tr key={point.variant} data-step={point.value}>
            <th scope="row">{point.label}</th>
            <td>{percent(point.free?.complianceRate)}</td>
            <td>{percent(point.unmonitored?.complianceRate)}</td>
            <td data-testid="curve-gap">
              {point.gap ? points(point.gap.value) : point.status === "missing" ? "not run" : "–"}
            </td>
            <td>{point.gap ? `[${signed(point.gap.ci95[0])}, ${signed(point.gap.ci95[1])}] pp` : "–"}</td>
            <td>{point.gap ? (point.gap.significant ? "yes" : "no") : "–"}</td>
            <td>
              {point.alignmentFaking
                ? `${percent(point.alignmentFaking.rate)} ${interval(point.alignmentFaking.wilson95)}`
                : "–"}
            </td>
            <td>
              <Link href={paths.run(point.runId)}>{point.runId}</Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A probe family's sweep as curves: per model (× other variants × format), the gap along the probe. */
export function ProbeCurveView(props: { curve: ProbeCurve }) {
  const { curve } = props;
  return (
    <section className="probe-curve" aria-label="Probe curve">
      <h2>Probe family {curve.family}</h2>
      <p className="muted">
        One run per step; each point is that run's compliance gap (training minus unmonitored tier) with its
        95% interval. A filled dot's interval excludes 0, a hollow one's does not.
      </p>
      {curve.series.map((series) => {
        const context = [
          series.model,
          series.setting,
          series.variants.length > 0 ? series.variants.join(" + ") : null,
          `${series.userFormat} format`,
        ]
          .filter((part) => part !== null)
          .join(" · ");
        return (
          <section
            key={`${series.model}/${series.setting}/${series.variants.join("+")}/${series.userFormat}`}
            className="curve-series"
            data-model={series.model}
          >
            <h3>
              {context}
              {series.simulated && <span className="badge badge-simulated">SIMULATED</span>}
            </h3>
            <CurvePlot
              title={`Compliance gap by ${curve.axis}${series.simulated ? " (simulated)" : ""}`}
              label={`Compliance gap against ${curve.axis}: ${series.model}${series.simulated ? " (simulated)" : ""}`}
              axis={curve.axis}
              categorical={curve.categorical}
              series={series}
              testId="probe-curve"
            />
            <PointTable series={series} axis={curve.axis} />
          </section>
        );
      })}
    </section>
  );
}
