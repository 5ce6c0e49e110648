/** One row of a forest plot: an estimate with its 95% interval, and the paper's value where there is one. */
export interface ForestRow {
  id: string;
  label: string;
  value: number | null;
  ci95: readonly [number, number] | null;
  reference?: number | null;
}

const rowHeight = 28;
const labelWidth = 260;
const plotWidth = 420;
const margin = { top: 24, right: 24, bottom: 30 };

/** Round tick positions across [low, high] in steps of 5, 10, 20 or 25 percentage points. */
export function ticks(low: number, high: number): number[] {
  const span = high - low;
  const step = [0.05, 0.1, 0.2, 0.25, 0.5].find((candidate) => span / candidate <= 8) ?? 1;
  const result: number[] = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + 1e-9; tick += step) {
    result.push(Math.round(tick * 1000) / 1000);
  }
  return result;
}

/**
 * A forest plot in SVG: one row per run, a dot at the estimate, a line across its 95% interval, a
 * diamond at the paper's value, and a dashed line at zero. Values are fractions, drawn as percentages.
 */
export function ForestPlot(props: { title: string; rows: ForestRow[]; testId: string }) {
  const bounds = props.rows.flatMap((row) => [
    ...(row.ci95 ?? []),
    ...(row.value === null ? [] : [row.value]),
    ...(row.reference == null ? [] : [row.reference]),
  ]);
  const low = Math.min(0, ...bounds);
  const high = Math.max(0.05, ...bounds);
  const pad = (high - low) * 0.05;
  const domain: [number, number] = [low - pad, high + pad];
  const x = (value: number) => labelWidth + ((value - domain[0]) / (domain[1] - domain[0])) * plotWidth;
  const height = margin.top + props.rows.length * rowHeight + margin.bottom;
  const width = labelWidth + plotWidth + margin.right;
  return (
    <svg
      className="forest-plot"
      role="img"
      aria-label={props.title}
      data-testid={props.testId}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <text x={labelWidth} y={14} className="forest-title">
        {props.title}
      </text>
      {ticks(domain[0], domain[1]).map((tick) => (
        <g key={tick}>
          <line
            x1={x(tick)}
            x2={x(tick)}
            y1={margin.top}
            y2={height - margin.bottom}
            className={tick === 0 ? "forest-zero" : "forest-grid"}
          />
          <text x={x(tick)} y={height - margin.bottom + 16} textAnchor="middle" className="forest-tick">
            {`${Math.round(tick * 100)}%`}
          </text>
        </g>
      ))}
      {props.rows.map((row, index) => {
        const y = margin.top + index * rowHeight + rowHeight / 2;
        return (
          <g
            key={row.id}
            data-run={row.id}
            data-value={row.value ?? ""}
            data-ci-low={row.ci95?.[0] ?? ""}
            data-ci-high={row.ci95?.[1] ?? ""}
          >
            <text x={labelWidth - 8} y={y + 4} textAnchor="end" className="forest-label">
              {row.label.length > 34 ? `${row.label.slice(0, 33)}…` : row.label}
            </text>
            {row.ci95 && (
              <line
                x1={x(row.ci95[0])}
                x2={x(row.ci95[1])}
                y1={y}
                y2={y}
                className="forest-interval"
                data-interval=""
              />
            )}
            {row.value !== null && <circle cx={x(row.value)} cy={y} r={4} className="forest-point" />}
            {row.reference != null && (
              <path
                d={`M ${x(row.reference)} ${y - 6} l 5 6 l -5 6 l -5 -6 z`}
                className="forest-reference"
                data-reference={row.reference}
              />
            )}
            {row.value === null && (
              <text x={labelWidth + 6} y={y + 4} className="forest-tick">
                no estimate
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
