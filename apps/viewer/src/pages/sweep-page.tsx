import { useQuery } from "@tanstack/react-query";
import { api } from "../api-client.js";
import type { SweepMatrix, SweepMatrixCell } from "../api-types.js";
import { ParaphraseDistributionView } from "../components/paraphrase-distribution.js";
import { ProbeCurveView } from "../components/probe-curve.js";
import { count, percent, points } from "../format.js";
import { Link, paths } from "../router.js";

/** While a cell runs, the matrix asks again this often. */
const livePollMs = 2000;

/**
 * The cell's colour: red for a positive compliance gap (complies more when trained), blue for a negative
 * one, stronger with the gap's size relative to the largest in the sweep; no colour without a gap.
 */
export function gapColour(gap: number | null | undefined, largest: number): string {
  if (gap === null || gap === undefined || largest <= 0) return "transparent";
  const strength = Math.min(1, Math.abs(gap) / largest) * 0.6;
  return gap >= 0 ? `rgba(217, 83, 79, ${strength.toFixed(3)})` : `rgba(47, 95, 208, ${strength.toFixed(3)})`;
}

/** `[+9.8, +22.8] pp`. */
function pointsInterval(bounds: readonly [number, number] | null | undefined): string {
  if (!bounds) return "";
  const signed = (value: number) => `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)}`;
  return `[${signed(bounds[0])}, ${signed(bounds[1])}] pp`;
}

function CellStatus(props: { cell: SweepMatrixCell }) {
  const { run } = props.cell;
  if (!run) return <div className="cell-detail muted">not started</div>;
  if (run.status === "complete") return null;
  const done = run.progress.complete + run.progress.failed;
  return (
    <div className="cell-detail" data-testid="cell-status">
      {run.status} · {count(done)} of {count(run.progress.total)}
    </div>
  );
}

function Cell(props: { cell: SweepMatrixCell; largest: number }) {
  const { cell } = props;
  const gap = cell.results?.gap ?? null;
  const af = cell.results?.alignmentFaking ?? null;
  const reference = cell.reference;
  return (
    <td
      className={`sweep-cell${cell.run ? "" : " sweep-cell-empty"}`}
      style={{ background: gapColour(gap?.value, props.largest) }}
      data-run-id={cell.runId}
      data-gap={gap?.value ?? ""}
      data-gap-low={gap?.ci95[0] ?? ""}
      data-gap-high={gap?.ci95[1] ?? ""}
      data-af={af?.rate ?? ""}
      data-af-low={af?.wilson95?.[0] ?? ""}
      data-af-high={af?.wilson95?.[1] ?? ""}
    >
      <Link href={paths.run(cell.runId)} aria-label={`run ${cell.runId}`}>
        <div className="cell-gap" data-testid="cell-gap">
          {gap ? points(gap.value) : "–"}
        </div>
        <div className="cell-detail" data-testid="cell-gap-interval">
          {pointsInterval(gap?.ci95)}
        </div>
        <div className="cell-detail" data-testid="cell-af">
          AF {af ? `${percent(af.rate)} [${percent(af.wilson95?.[0])}, ${percent(af.wilson95?.[1])}]` : "–"}
        </div>
        {reference && (
          <div className="cell-detail muted" data-testid="cell-paper">
            paper {points(reference.gap?.value)} · AF {percent(reference.alignmentFaking?.value)}
          </div>
        )}
        <CellStatus cell={cell} />
      </Link>
    </td>
  );
}

function columnTitle(matrix: SweepMatrix, variantKey: string, userFormat: string): string {
  const variant = variantKey === "none" ? "unmodified prompt" : variantKey;
  return matrix.userFormats.length > 1 ? `${variant} · ${userFormat} format` : variant;
}

/** Models (and settings, when the sweep has several) down, variant combinations (× user formats) across. */
function Matrix(props: { matrix: SweepMatrix }) {
  const { matrix } = props;
  const columns = matrix.variantKeys.flatMap((variantKey) =>
    matrix.userFormats.map((userFormat) => ({ variantKey, userFormat })),
  );
  const rows = matrix.models.flatMap((model) => matrix.settings.map((setting) => ({ model, setting })));
  const largest = Math.max(0.05, ...matrix.cells.map((cell) => Math.abs(cell.results?.gap?.value ?? 0)));
  const find = (row: (typeof rows)[number], column: (typeof columns)[number]) =>
    matrix.cells.find(
      (cell) =>
        cell.model === row.model &&
        cell.setting === row.setting &&
        cell.variantKey === column.variantKey &&
        cell.userFormat === column.userFormat,
    );
  return (
    <>
      <table className="sweep-matrix" aria-label="Sweep matrix">
        <thead>
          <tr>
            <th scope="col">model</th>
            {columns.map((column) => (
              <th key={`${column.variantKey}/${column.userFormat}`} scope="col">
                {columnTitle(matrix, column.variantKey, column.userFormat)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.model}/${row.setting}`}>
              <th scope="row">
                {row.model}
                {matrix.settings.length > 1 && <div className="muted">{row.setting}</div>}
              </th>
              {columns.map((column) => {
                const cell = find(row, column);
                return cell ? (
                  <Cell key={cell.index} cell={cell} largest={largest} />
                ) : (
                  <td key={`${column.variantKey}/${column.userFormat}`} />
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="sweep-legend">
        <span style={{ background: gapColour(-largest, largest) }} />
        {points(-largest)}
        <span style={{ background: gapColour(0, largest), border: "1px solid var(--line)" }} />0
        <span style={{ background: gapColour(largest, largest) }} />
        {points(largest)} compliance gap (training − unmonitored); each cell: the gap with its 95% interval,
        the training-tier AF rate with its Wilson 95% interval, the paper's values where it has the variant.
      </p>
    </>
  );
}

/** A sweep at a glance: one cell per run, coloured by its gap; live while any cell runs. */
export function SweepPage(props: { sweepId: string }) {
  const matrix = useQuery({
    queryKey: ["sweep", props.sweepId],
    queryFn: ({ signal }) => api.sweep(props.sweepId, signal),
    refetchInterval: (query) => (query.state.data?.live ? livePollMs : false),
  });
  const data = matrix.data;
  // The views some sweeps have: asked for only when the matrix says the sweep is of that kind, and again
  // with it while it is live.
  const refetchInterval = data?.live ? livePollMs : false;
  const distribution = useQuery({
    queryKey: ["sweep-distribution", props.sweepId],
    queryFn: ({ signal }) => api.sweepDistribution(props.sweepId, signal),
    enabled: Boolean(data?.promptSet),
    refetchInterval,
  });
  const curve = useQuery({
    queryKey: ["sweep-curve", props.sweepId],
    queryFn: ({ signal }) => api.sweepCurve(props.sweepId, signal),
    enabled: Boolean(data?.family),
    refetchInterval,
  });
  return (
    <main className="sweep-page">
      <p>
        <Link href={paths.sweeps()}>← all sweeps</Link>
      </p>
      {matrix.error && <p className="error">{matrix.error.message}</p>}
      {!data && !matrix.error && <p className="loading">loading the sweep…</p>}
      {data && (
        <>
          <h1>{data.name ?? data.id}</h1>
          <p className="muted">
            {data.id} · {data.cells.length} cells · started {new Date(data.createdAt).toLocaleString("en-GB")}
            {data.live ? (
              <strong data-testid="sweep-live"> · live: updates every {livePollMs / 1000} s</strong>
            ) : (
              ""
            )}
          </p>
          {data.cells.some((cell) => cell.run?.simulated) && (
            <div className="simulated-banner" role="alert">
              SIMULATED — some cells ran on the simulated model organism: their numbers demonstrate the
              pipeline; they are not findings.
            </div>
          )}
          {data.promptSet && (
            <>
              {distribution.error && <p className="error">{distribution.error.message}</p>}
              {!distribution.data && !distribution.error && (
                <p className="loading">loading the distribution across paraphrases…</p>
              )}
              {distribution.data && <ParaphraseDistributionView distribution={distribution.data} />}
            </>
          )}
          {data.family && (
            <>
              {curve.error && <p className="error">{curve.error.message}</p>}
              {!curve.data && !curve.error && <p className="loading">loading the curve…</p>}
              {curve.data && <ProbeCurveView curve={curve.data} />}
            </>
          )}
          {/* A prompt-set sweep's cells share their variants, so a matrix would stack them in one column:
              its distribution above lists every prompt instead. */}
          {!data.promptSet && <Matrix matrix={data} />}
          {data.cells.some((cell) => cell.run) && (
            <p>
              <Link href={paths.many(data.cells.filter((cell) => cell.run).map((cell) => cell.runId))}>
                every cell in forest plots
              </Link>
            </p>
          )}
        </>
      )}
    </main>
  );
}
