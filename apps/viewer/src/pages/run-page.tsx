import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { api } from "../api-client.js";
import type { RunProgress } from "../api-types.js";
import { KeyNumbers } from "../components/key-numbers.js";
import { RunBanners } from "../components/run-banners.js";
import { NoSamples, RunMetadata } from "../components/run-metadata.js";
import { SampleTable } from "../components/sample-table.js";
import { TierFigure } from "../components/tier-figure.js";
import { RunWorkPanel } from "../components/work-panel.js";
import { WorkersLine } from "../components/workers-line.js";
import { count } from "../format.js";
import { Link, paths } from "../router.js";
import { alignmentFakingClassifier } from "../sample-filters.js";

interface LiveState {
  status: string;
  progress: RunProgress;
}

/**
 * Follows a running run over server-sent events; refetches the report as samples finish and once
 * more when the stream ends.
 */
function useLiveProgress(runId: string, enabled: boolean): LiveState | null {
  const client = useQueryClient();
  const [live, setLive] = useState<LiveState | null>(null);
  useEffect(() => {
    if (!enabled || typeof EventSource === "undefined") return;
    const source = new EventSource(api.eventsUrl(runId));
    let lastRefresh = 0;
    const refresh = () => {
      void client.invalidateQueries({ queryKey: ["run", runId] });
      void client.invalidateQueries({ queryKey: ["samples", runId] });
    };
    source.addEventListener("progress", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as LiveState;
      setLive(data);
      if (Date.now() - lastRefresh > 2_000) {
        lastRefresh = Date.now();
        refresh();
      }
    });
    source.addEventListener("end", () => {
      source.close();
      refresh();
    });
    return () => source.close();
  }, [runId, enabled, client]);
  return live;
}

/** One run: the paper's figure, key numbers with intervals, costs, live progress and the sample table. */
export function RunPage(props: { runId: string }) {
  const detail = useQuery({
    queryKey: ["run", props.runId],
    queryFn: ({ signal }) => api.run(props.runId, signal),
  });
  const running = detail.data ? detail.data.run.status === "running" || detail.data.active !== null : false;
  const live = useLiveProgress(props.runId, running);
  const data = detail.data;
  const classifiers = useMemo(
    () => ({
      compliance: data?.summary.complianceClassifier ?? "tag-compliance",
      alignmentFaking: alignmentFakingClassifier(data?.summary),
    }),
    [data?.summary],
  );
  if (detail.error) return <main className="error">{detail.error.message}</main>;
  if (!data) return <main className="loading">loading run…</main>;
  const { run, summary } = data;
  const progress = live?.progress ?? data.progress;
  const status = live?.status ?? run.status;
  const done = progress.complete + progress.failed;
  return (
    <main className="run-page">
      <RunBanners report={summary} />
      <header className="run-header">
        <h1>{run.config.label || run.id}</h1>
        <div className="run-meta">
          <span>{run.config.model}</span>
          <span>{run.config.setting}</span>
          <span>{run.config.cot ? "chain of thought" : "no chain of thought"}</span>
          <span>format: {run.config.userFormat}</span>
          {run.config.variants.length > 0 && <span>variants: {run.config.variants.join(" + ")}</span>}
          {run.config.judge && <span>judge: {run.config.judge}</span>}
          <span className={`badge badge-${status}`}>{status}</span>
          <Link href={paths.compare(run.id)}>compare with…</Link>
          {run.sweepId && <Link href={paths.sweep(run.sweepId)}>its sweep</Link>}
        </div>
        {run.error && <p className="error">{run.error}</p>}
      </header>
      {(status === "running" || data.active) && (
        <div className="live-progress" role="status" aria-live="polite">
          <progress max={Math.max(1, progress.total)} value={done} />
          <span>
            {count(done)} / {count(progress.total)} samples
            {progress.errored > 0 ? `, ${count(progress.errored)} errored` : ""}
            {data.active === "classify" ? " (re-classifying)" : ""}
          </span>
        </div>
      )}
      <WorkersLine runId={run.id} running={status === "running"} />
      <RunMetadata detail={data} />
      <RunWorkPanel detail={data} />
      {progress.complete + progress.failed + progress.errored === 0 && status !== "running" ? (
        <NoSamples detail={data} />
      ) : (
        <>
          <section aria-label="Figure">
            <h2>Compliance and alignment faking by tier</h2>
            <TierFigure report={summary} />
          </section>
          <section aria-label="Numbers">
            <h2>Key numbers</h2>
            <KeyNumbers report={summary} />
            {summary.reference && (
              <p className="muted">
                Paper reference: {summary.reference.source}, “{summary.reference.variation}”.
              </p>
            )}
          </section>
          <section aria-label="Sample list">
            <h2>Samples</h2>
            <SampleTable
              runId={run.id}
              classifiers={classifiers}
              failureKinds={Object.keys(data.failureKinds)}
              version={done}
            />
          </section>
        </>
      )}
    </main>
  );
}
