import { useQueries } from "@tanstack/react-query";
import { api } from "../api-client.js";
import type { CompareResult, RunDetail } from "../api-types.js";
import { ForestPlot } from "../components/forest-plot.js";
import { interval, points } from "../format.js";
import { Link, paths, useSearchState } from "../router.js";

/** The run ids in the address: `runs=a,b,c`, each once, in order. */
export function runIdsOf(search: URLSearchParams): string[] {
  const ids = (search.get("runs") ?? "").split(",").filter((id) => id !== "");
  return [...new Set(ids)];
}

function labelOf(detail: RunDetail): string {
  return detail.run.config.label || detail.run.id;
}

/** `+3.1 pp [−1.2, +7.4]` for a paired difference, or a dash. */
function difference(value: { value: number; ci95: [number, number] } | null | undefined): string {
  if (!value) return "–";
  return `${points(value.value)} [${points(value.ci95[0])}, ${points(value.ci95[1])}]`;
}

/**
 * Any number of runs at once: forest plots of their compliance gaps and training-tier alignment-faking
 * rates with 95% intervals, a table of the numbers, and each run paired against a chosen baseline over
 * the same queries (the engine's comparison, through the API).
 */
export function ManyRunsPage() {
  const [search, setSearch] = useSearchState();
  const ids = runIdsOf(search);
  const baseline = ids.includes(search.get("baseline") ?? "")
    ? (search.get("baseline") ?? "")
    : (ids[0] ?? "");
  const details = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["run", id],
      queryFn: ({ signal }: { signal: AbortSignal }) => api.run(id, signal),
    })),
  });
  const others = ids.filter((id) => id !== baseline);
  const comparisons = useQueries({
    queries: others.map((id) => ({
      queryKey: ["compare", baseline, id],
      queryFn: ({ signal }: { signal: AbortSignal }) => api.compare(baseline, id, signal),
      enabled: baseline !== "",
    })),
  });
  const loaded = details.map((result) => result.data).filter((data): data is RunDetail => data !== undefined);
  const errors = details.map((result) => result.error).filter((error) => error !== null);
  const comparisonOf = new Map<string, CompareResult>();
  // A run the engine cannot pair with the baseline (no shared queries, another compliance judge) says so
  // in its own row; the others still compare.
  const comparisonErrorOf = new Map<string, string>();
  others.forEach((id, index) => {
    const result = comparisons[index];
    if (result?.data) comparisonOf.set(id, result.data);
    if (result?.error) comparisonErrorOf.set(id, result.error.message);
  });

  if (ids.length < 2) {
    return (
      <main className="many-runs-page">
        <h1>Many runs compared</h1>
        <p className="muted">
          Pick two or more runs on the <Link href={paths.runs()}>runs page</Link> and choose “Forest plot”.
        </p>
      </main>
    );
  }

  return (
    <main className="many-runs-page">
      <h1>{ids.length} runs compared</h1>
      {loaded.some((detail) => detail.run.simulated) && (
        <div className="simulated-banner">
          SIMULATED — at least one of these runs used the simulated model organism
        </div>
      )}
      <div className="filters">
        <label>
          Baseline
          <select
            aria-label="Baseline"
            value={baseline}
            onChange={(event) => setSearch({ baseline: event.target.value })}
          >
            {loaded.map((detail) => (
              <option key={detail.run.id} value={detail.run.id}>
                {labelOf(detail)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {errors.map((error) => (
        <p key={error.message} className="error">
          {error.message}
        </p>
      ))}
      {loaded.length === ids.length && (
        <>
          <div className="forest-plots">
            <ForestPlot
              title="Compliance gap (free − paid), 95% interval"
              testId="forest-gap"
              rows={loaded.map((detail) => ({
                id: detail.run.id,
                label: labelOf(detail),
                value: detail.summary.gap?.value ?? null,
                ci95: detail.summary.gap?.ci95 ?? null,
                reference: detail.summary.reference?.gap?.value ?? null,
              }))}
            />
            <ForestPlot
              title="Alignment faking (training tier), Wilson 95% interval"
              testId="forest-af"
              rows={loaded.map((detail) => ({
                id: detail.run.id,
                label: labelOf(detail),
                value: detail.summary.alignmentFaking?.free?.rate ?? null,
                ci95: detail.summary.alignmentFaking?.free?.wilson95 ?? null,
                reference: detail.summary.reference?.alignmentFaking?.value ?? null,
              }))}
            />
          </div>
          <p className="muted">Dots are estimates, lines their 95% intervals, diamonds the paper's values.</p>
          <table className="many-runs-table" aria-label="Runs compared">
            <thead>
              <tr>
                <th>run</th>
                <th>model</th>
                <th>n</th>
                <th>gap [95% CI]</th>
                <th>AF rate (free) [Wilson 95%]</th>
                <th>gap − baseline's [95% CI]</th>
                <th>AF − baseline's [95% CI]</th>
                <th>compliance − baseline's, paired per tier (McNemar p, pairs)</th>
              </tr>
            </thead>
            <tbody>
              {loaded.map((detail) => {
                const id = detail.run.id;
                const comparison = comparisonOf.get(id)?.comparison;
                const af = detail.summary.alignmentFaking?.free;
                const n = Object.values(detail.summary.tiers).reduce((sum, tier) => sum + (tier?.n ?? 0), 0);
                return (
                  <tr key={id} data-run-id={id}>
                    <td>
                      <Link href={paths.run(id)}>{labelOf(detail)}</Link>
                      {id === baseline && <span className="badge">baseline</span>}
                    </td>
                    <td>{detail.run.config.model}</td>
                    <td data-column="n">{n.toLocaleString("en-US")}</td>
                    <td data-column="gap">
                      {detail.summary.gap
                        ? `${points(detail.summary.gap.value)} [${points(detail.summary.gap.ci95[0])}, ${points(detail.summary.gap.ci95[1])}]`
                        : "–"}
                    </td>
                    <td data-column="af">
                      {af?.rate != null ? `${(af.rate * 100).toFixed(1)}% ${interval(af.wilson95)}` : "–"}
                    </td>
                    <td data-column="gap-difference">
                      {id === baseline ? "baseline" : difference(comparison?.gapDifference)}
                    </td>
                    <td data-column="af-difference">
                      {id === baseline ? "baseline" : difference(comparison?.alignmentFakingDifference)}
                    </td>
                    <td data-column="paired">
                      {comparisonErrorOf.has(id) ? (
                        <span className="muted">not compared: {comparisonErrorOf.get(id)}</span>
                      ) : id === baseline || !comparison ? (
                        "–"
                      ) : (
                        comparison.tiers
                          .map((tier) =>
                            tier.paired
                              ? `${tier.tier} ${points(tier.paired.value)} (p = ${tier.paired.mcnemar.pValue.toPrecision(2)}, ${tier.pairs} pairs)`
                              : `${tier.tier}: no pairs`,
                          )
                          .join(" · ")
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted">
            Differences come from the engine's comparison of each run with the baseline, as{" "}
            <code>aflab compare</code> gives them: the gap and AF differences treat the runs as independent;
            the per-tier compliance change is paired over the queries both asked (same item, tier and epoch).
          </p>
        </>
      )}
      {loaded.length < ids.length && errors.length === 0 && <p className="loading">loading runs…</p>}
    </main>
  );
}
