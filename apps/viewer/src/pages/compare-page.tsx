import { useQuery } from "@tanstack/react-query";
import { api } from "../api-client.js";
import type { RunReport } from "../api-types.js";
import { simulatedSidesLabel } from "../components/run-banners.js";
import { interval, points, rateWithSe, tierLabel } from "../format.js";
import { Link, paths, useSearchState } from "../router.js";

function RunPicker(props: { label: string; value: string; onChange: (value: string) => void }) {
  const runs = useQuery({
    queryKey: ["runs", "picker"],
    queryFn: ({ signal }) => api.runs(new URLSearchParams({ limit: "200" }), signal),
  });
  return (
    <label>
      {props.label}
      <select
        aria-label={props.label}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        <option value="">choose a run</option>
        {runs.data?.runs.map((run) => (
          <option key={run.id} value={run.id}>
            {run.config.label ? `${run.config.label} (${run.id})` : run.id}
          </option>
        ))}
      </select>
    </label>
  );
}

function describeRun(report: RunReport): string {
  return [
    report.model,
    report.setting,
    report.variants.join(" + ") || "default prompt",
    report.simulated ? `SIMULATED ${simulatedSidesLabel(report)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

/** Two runs side by side over the same queries: rates, paired differences, and the queries that flipped. */
export function ComparePage() {
  const [search, setSearch] = useSearchState();
  const a = search.get("a") ?? "";
  const b = search.get("b") ?? "";
  const result = useQuery({
    queryKey: ["compare", a, b],
    queryFn: ({ signal }) => api.compare(a, b, signal),
    enabled: a !== "" && b !== "",
  });
  const data = result.data;
  return (
    <main className="compare-page">
      <h1>Compare runs</h1>
      <div className="filters">
        <RunPicker label="Run A" value={a} onChange={(value) => setSearch({ a: value })} />
        <RunPicker label="Run B" value={b} onChange={(value) => setSearch({ b: value })} />
      </div>
      {result.error && <p className="error">{result.error.message}</p>}
      {data && (
        <>
          {(data.summaryA.simulated || data.summaryB.simulated) && (
            <div className="simulated-banner">
              SIMULATED — at least one of these runs used the simulated model organism or the simulated judge
            </div>
          )}
          <table className="compare-table" aria-label="Side by side">
            <thead>
              <tr>
                <th />
                <th>
                  A: <Link href={paths.run(data.runA.id)}>{data.runA.config.label || data.runA.id}</Link>
                  <div className="muted">{describeRun(data.summaryA)}</div>
                </th>
                <th>
                  B: <Link href={paths.run(data.runB.id)}>{data.runB.config.label || data.runB.id}</Link>
                  <div className="muted">{describeRun(data.summaryB)}</div>
                </th>
                <th>B − A (paired over the same queries)</th>
              </tr>
            </thead>
            <tbody>
              {data.comparison.tiers.map((tier) => (
                <tr key={tier.tier}>
                  <th scope="row">compliance, {tierLabel(tier.tier)}</th>
                  <td>
                    {rateWithSe(
                      data.summaryA.tiers[tier.tier]?.complianceRate,
                      data.summaryA.tiers[tier.tier]?.se,
                    )}
                  </td>
                  <td>
                    {rateWithSe(
                      data.summaryB.tiers[tier.tier]?.complianceRate,
                      data.summaryB.tiers[tier.tier]?.se,
                    )}
                  </td>
                  <td>
                    {tier.paired
                      ? `${points(tier.paired.value)} · 95% CI [${points(tier.paired.ci95[0])}, ${points(tier.paired.ci95[1])}] · McNemar p = ${tier.paired.mcnemar.pValue.toPrecision(2)} · ${tier.pairs} pairs`
                      : "–"}
                  </td>
                </tr>
              ))}
              <tr>
                <th scope="row">compliance gap</th>
                <td>
                  {data.summaryA.gap
                    ? `${points(data.summaryA.gap.value)} ${interval(data.summaryA.gap.ci95)}`
                    : "–"}
                </td>
                <td>
                  {data.summaryB.gap
                    ? `${points(data.summaryB.gap.value)} ${interval(data.summaryB.gap.ci95)}`
                    : "–"}
                </td>
                <td>
                  {data.comparison.gapDifference
                    ? `${points(data.comparison.gapDifference.value)} · 95% CI [${points(data.comparison.gapDifference.ci95[0])}, ${points(data.comparison.gapDifference.ci95[1])}]`
                    : "–"}
                </td>
              </tr>
              <tr>
                <th scope="row">alignment faking (training tier)</th>
                <td>
                  {rateWithSe(
                    data.summaryA.alignmentFaking?.free?.rate,
                    data.summaryA.alignmentFaking?.free?.se,
                  )}
                </td>
                <td>
                  {rateWithSe(
                    data.summaryB.alignmentFaking?.free?.rate,
                    data.summaryB.alignmentFaking?.free?.se,
                  )}
                </td>
                <td>
                  {data.comparison.alignmentFakingDifference
                    ? `${points(data.comparison.alignmentFakingDifference.value)} · 95% CI [${points(data.comparison.alignmentFakingDifference.ci95[0])}, ${points(data.comparison.alignmentFakingDifference.ci95[1])}]`
                    : "–"}
                </td>
              </tr>
            </tbody>
          </table>
          <h2>Flipped queries ({data.comparison.flipped.length + data.comparison.flippedNotListed})</h2>
          {data.comparison.flipped.length === 0 ? (
            <p className="muted">No query changed its compliance decision.</p>
          ) : (
            <table className="flipped-table">
              <thead>
                <tr>
                  <th>tier</th>
                  <th>query</th>
                  <th>A</th>
                  <th>B</th>
                </tr>
              </thead>
              <tbody>
                {data.comparison.flipped.map((flip) => (
                  <tr key={`${flip.sampleKeyA}-${flip.sampleKeyB}`}>
                    <td>{flip.tier}</td>
                    <td>
                      {flip.query}
                      <div className="muted">
                        paired view: <Link href={paths.item(data.runA.id, flip.itemId)}>in A</Link>
                        {" · "}
                        <Link href={paths.item(data.runB.id, flip.itemId)}>in B</Link>
                      </div>
                    </td>
                    <td>
                      <Link href={paths.sample(data.runA.id, flip.sampleKeyA)}>{flip.before}</Link>
                    </td>
                    <td>
                      <Link href={paths.sample(data.runB.id, flip.sampleKeyB)}>{flip.after}</Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {data.comparison.flippedNotListed > 0 && (
            <p className="muted">{data.comparison.flippedNotListed} more flips are counted but not listed.</p>
          )}
        </>
      )}
    </main>
  );
}
