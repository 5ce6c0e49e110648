import type { RunDetail } from "../api-types.js";
import { CriterionValue, criterionName } from "./verdict-card.js";

const judgedLabels: Record<string, string> = {
  tags: "scratchpad tags",
  reasoning: "native reasoning",
  both: "native reasoning and scratchpad tags",
  none: "nothing",
};

/**
 * What a run was: its whole stored config laid out field by field, the system prompt's hash, the
 * classifiers that judged it and which text the scratchpad judges read. Collapsed until asked for.
 */
export function RunMetadata(props: { detail: RunDetail }) {
  const { run, summary, classifiers } = props.detail;
  const judged = Object.entries(summary.scratchpadSource.judged).filter(([, count]) => count > 0);
  return (
    <details className="run-metadata" data-testid="run-metadata">
      <summary>Run metadata (config, prompt hash, classifiers, scratchpad source)</summary>
      <dl className="criteria">
        <div>
          <dt>run id</dt>
          <dd>{run.id}</dd>
        </div>
        <div>
          <dt>created · updated</dt>
          <dd>
            {run.createdAt} · {run.updatedAt}
          </dd>
        </div>
        <div>
          <dt>system prompt hash</dt>
          <dd data-testid="prompt-hash">{run.promptHash}</dd>
        </div>
        <div>
          <dt>classifiers with verdicts</dt>
          <dd>{classifiers.length > 0 ? classifiers.join(", ") : "none yet"}</dd>
        </div>
        <div>
          <dt>scratchpad source</dt>
          <dd data-testid="scratchpad-source">
            {summary.scratchpadSource.setting}
            {judged.length > 0
              ? ` — judges read ${judged.map(([source, count]) => `${judgedLabels[source] ?? source} in ${count}`).join(", ")}`
              : ""}
          </dd>
        </div>
        {run.sweepId && (
          <div>
            <dt>sweep</dt>
            <dd>{run.sweepId}</dd>
          </div>
        )}
        {Object.entries(run.config).map(([name, value]) => (
          <div key={name} data-config={name}>
            <dt>{criterionName(name)}</dt>
            <dd>
              <CriterionValue value={value} />
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** A run without a single sample: why, instead of an empty chart. */
export function NoSamples(props: { detail: RunDetail }) {
  const { run } = props.detail;
  return (
    <section className="no-samples" role="status" data-testid="no-samples">
      <h2>No samples</h2>
      <p>
        This run is <strong>{run.status}</strong> and stored no samples, so there is nothing to chart.
      </p>
      {run.error ? (
        <p>
          Reason: <span className="error">{run.error}</span>
        </p>
      ) : (
        <p className="muted">
          {run.status === "running" ? "The first samples have not finished yet." : "No reason was recorded."}
        </p>
      )}
    </section>
  );
}
