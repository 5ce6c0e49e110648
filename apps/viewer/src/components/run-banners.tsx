import type { RunReport } from "../api-types.js";

/** The words for what is simulated in a run: `model`, `judge`, `model and judge`, or "" for nothing. */
export function simulatedSidesLabel(report: Pick<RunReport, "simulatedSides">): string {
  const { model, judge } = report.simulatedSides;
  return [model ? "model" : "", judge ? "judge" : ""].filter(Boolean).join(" and ");
}

/**
 * What a reader must know before reading a run's numbers, in one alert: which side of the run is
 * simulated (the model under test, the judge, or both), and the report's warnings (tiers with too many
 * unknown or failed samples, the paper's numbers not comparable). Nothing when there is nothing to say.
 */
export function RunBanners(props: { report: RunReport }) {
  const { report } = props;
  const { model, judge } = report.simulatedSides;
  if (!model && !judge && report.warnings.length === 0) return null;
  return (
    <div className="run-banners" role="alert">
      {model && (
        <div className="simulated-banner" data-banner="simulated-model">
          SIMULATED model — this run used the simulated model organism ({report.model}), not a real model. Its
          numbers demonstrate the pipeline; they are not findings.
        </div>
      )}
      {judge && (
        <div className="simulated-banner" data-banner="simulated-judge">
          SIMULATED judge — {report.judge ?? "the judge"} is keyword rules, not a model: its verdicts are a
          stand-in, not a measurement.
        </div>
      )}
      {report.warnings.length > 0 && (
        <div className="warning-banner" data-banner="warnings">
          <strong>These numbers are less than they look:</strong>
          <ul>
            {report.warnings.map((warning) => (
              <li key={`${warning.code}-${warning.tier ?? "run"}`} data-warning={warning.code}>
                {warning.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
