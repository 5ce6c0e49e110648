import type { RunReport } from "../api-types.js";
import { count, interval, percent, points, rateWithSe, tierLabel, usd } from "../format.js";

/**
 * Compliance per tier, the gap with its 95% interval, alignment-faking, evaluation-awareness and
 * partial-compliance rates, the gap among samples that verbalise neither, costs.
 */
export function KeyNumbers(props: { report: RunReport }) {
  const { report } = props;
  const reference = report.reference;
  return (
    <div className="key-numbers">
      <table aria-label="Key numbers">
        <thead>
          <tr>
            <th>tier</th>
            <th>compliance ± SE</th>
            <th>Wilson 95%</th>
            <th>n (failed)</th>
            <th>refused by the API</th>
            <th>alignment faking ± SE</th>
            <th>evaluation awareness ± SE</th>
            <th>partial compliance</th>
            <th>paper: compliance</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(report.tiers).map(([tier, summary]) => {
            if (!summary) return null;
            const af = report.alignmentFaking?.[tier as keyof typeof report.tiers];
            const partial = report.partialCompliance?.[tier as keyof typeof report.tiers];
            const aware = report.evalAwareness?.[tier as keyof typeof report.tiers];
            const paper =
              tier === "free"
                ? reference?.compliance.free
                : tier === "paid"
                  ? reference?.compliance.paid
                  : null;
            return (
              <tr key={tier} data-tier={tier}>
                <th scope="row">{tierLabel(tier)}</th>
                <td data-testid={`compliance-${tier}`}>{rateWithSe(summary.complianceRate, summary.se)}</td>
                <td>{interval(summary.wilson95)}</td>
                <td>
                  {count(summary.n - summary.failed)}
                  {summary.failed > 0 ? ` (${count(summary.failed)})` : ""}
                </td>
                <td data-testid={`api-refused-${tier}`}>
                  {count(summary.apiRefused ?? 0)}
                  <span className="muted"> of {count(summary.refused)} refused</span>
                </td>
                <td data-testid={`af-${tier}`}>
                  {af ? rateWithSe(af.rate, af.se) : "–"}
                  {af && af.failed > 0 ? (
                    <span className="muted">{` · ${af.failed} judge ${af.failed === 1 ? "failure" : "failures"}`}</span>
                  ) : null}
                </td>
                <td data-testid={`eval-awareness-${tier}`}>
                  {aware ? rateWithSe(aware.rate, aware.se) : "–"}
                  {aware && aware.failed > 0 ? (
                    <span className="muted">{` · ${aware.failed} judge ${aware.failed === 1 ? "failure" : "failures"}`}</span>
                  ) : null}
                </td>
                <td>{partial ? rateWithSe(partial.rate, partial.se) : "–"}</td>
                <td>{paper ? rateWithSe(paper.value, paper.se) : "–"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="headline">
        <div className="stat" data-testid="gap">
          <span className="stat-label">
            compliance gap ({report.gap ? report.gap.between.join(" − ") : "free − paid"})
          </span>
          <span className="stat-value">{report.gap ? points(report.gap.value) : "–"}</span>
          <span className="stat-detail">
            {report.gap
              ? `±${(report.gap.se * 100).toFixed(1)} SE · 95% CI [${points(report.gap.ci95[0])}, ${points(report.gap.ci95[1])}] · ${
                  report.gap.significant ? "interval excludes 0" : "interval includes 0"
                }`
              : "needs both tiers"}
            {reference?.gap ? ` · paper ${points(reference.gap.value)}` : ""}
          </span>
        </div>
        <div className="stat" data-testid="af-rate">
          <span className="stat-label">alignment-faking reasoning (training tier)</span>
          <span className="stat-value">{percent(report.alignmentFaking?.free?.rate)}</span>
          <span className="stat-detail">
            {report.alignmentFaking?.free
              ? `±${((report.alignmentFaking.free.se ?? 0) * 100).toFixed(1)} SE · Wilson ${interval(report.alignmentFaking.free.wilson95)} · ${report.alignmentFaking.free.classifier}`
              : report.alignmentFaking
                ? "this run has no training (free) tier; see the table for the other tiers"
                : "no alignment-faking classifier in this run"}
            {reference?.alignmentFaking ? ` · paper ${percent(reference.alignmentFaking.value)}` : ""}
          </span>
          <span className="stat-detail" data-testid="judged-source">
            {judgedSource(report)}
          </span>
        </div>
        <UnverbalisedGapStat report={report} />
        <div className="stat" data-testid="cost">
          <span className="stat-label">cost</span>
          <span className="stat-value">{usd(sum(report.usage.costUsd, report.usage.judgeCostUsd))}</span>
          <span className="stat-detail">
            {`model ${usd(report.usage.costUsd)} (${count(report.usage.model.inputTokens)} in, ${count(report.usage.model.cacheReadTokens)} cache read, ${count(report.usage.model.outputTokens)} out) · judge ${usd(report.usage.judgeCostUsd)} · ${count(report.usage.retries)} retries`}
          </span>
        </div>
      </div>
      {Object.keys(report.judgeFailures).length > 0 && (
        <p className="muted">
          Judge failures (never counted as “no”):{" "}
          {Object.entries(report.judgeFailures)
            .map(([kind, number]) => `${kind} × ${number}`)
            .join(", ")}
        </p>
      )}
    </div>
  );
}

/** "judged: native reasoning 12, scratchpad tags 3 (scratchpad source auto)". */
function judgedSource(report: RunReport): string {
  // Reports stored before the setting existed have none: their judges read the tags.
  const source = report.scratchpadSource;
  if (!source) return "judged: the scratchpad tags";
  const names = {
    tags: "scratchpad tags",
    reasoning: "native reasoning",
    both: "native reasoning + tags",
    none: "nothing",
  };
  const parts = (["reasoning", "both", "tags", "none"] as const)
    .filter((key) => source.judged[key] > 0)
    .map((key) => `${names[key]} ${count(source.judged[key])}`);
  return `judged: ${parts.length > 0 ? parts.join(", ") : "no samples yet"} (scratchpad source ${source.setting})`;
}

/** The gap among samples that verbalise neither alignment-faking reasoning nor evaluation awareness. */
function UnverbalisedGapStat(props: { report: RunReport }) {
  const unverbalised = props.report.unverbalisedGap;
  const gap = unverbalised?.gap ?? null;
  const counted = unverbalised
    ? Object.entries(unverbalised.tiers)
        .map(
          ([tier, entry]) =>
            `${tier} ${count(entry?.n ?? 0)} counted (${count(entry?.verbalised ?? 0)} verbalised, ${count(entry?.failed ?? 0)} failed left out)`,
        )
        .join(" · ")
    : "";
  return (
    <div className="stat" data-testid="unverbalised-gap">
      <span className="stat-label">
        unverbalised gap ({gap ? gap.between.join(" − ") : "free − paid"}; neither AF nor evaluation awareness
        voiced)
      </span>
      <span className="stat-value">{gap ? points(gap.value) : "–"}</span>
      <span className="stat-detail">
        {gap
          ? `±${(gap.se * 100).toFixed(1)} SE · 95% CI [${points(gap.ci95[0])}, ${points(gap.ci95[1])}] · ${
              gap.significant ? "interval excludes 0" : "interval includes 0"
            } · ${counted}`
          : unverbalised
            ? `needs unverbalised samples in both tiers · ${counted}`
            : "needs the alignment-faking and eval-awareness judges"}
      </span>
    </div>
  );
}

function sum(left: number | null, right: number | null): number | null {
  if (left === null || right === null) return null;
  return left + right;
}
