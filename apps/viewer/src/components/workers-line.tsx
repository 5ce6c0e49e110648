import { useQuery } from "@tanstack/react-query";
import { api } from "../api-client.js";
import type { WorkersListing } from "../api-types.js";
import { count, perSecond } from "../format.js";

/** How often the line refreshes while its run is in progress (workers beat every 2 s). */
const workersPollMs = 3000;

/** `3 workers live · 41.2 samples/s · 1,234 done`. */
export function workersSummary(listing: Pick<WorkersListing, "live" | "samplesPerSecond" | "done">): string {
  return `${count(listing.live)} ${listing.live === 1 ? "worker" : "workers"} live · ${perSecond(listing.samplesPerSecond)} samples/s · ${count(listing.done)} done`;
}

/** One listing's workers, live first: who they are, what they did for this run, when they last reported. */
function WorkersTable(props: { listing: WorkersListing }) {
  return (
    <table className="workers-table">
      <thead>
        <tr>
          <th>worker</th>
          <th>host</th>
          <th>pid</th>
          <th>state</th>
          <th className="number">done</th>
          <th className="number">samples/s</th>
          <th>last heartbeat</th>
        </tr>
      </thead>
      <tbody>
        {props.listing.workers.map((worker) => (
          <tr key={worker.id} data-worker-id={worker.id}>
            <td>{worker.id}</td>
            <td>{worker.host}</td>
            <td>{worker.pid}</td>
            <td>
              {worker.live
                ? "live"
                : worker.runId !== null && worker.runId !== props.listing.runId
                  ? "on another run"
                  : "gone"}
            </td>
            <td className="number">{count(worker.done)}</td>
            <td className="number">{perSecond(worker.samplesPerSecond)}</td>
            <td>{new Date(worker.heartbeatAt).toLocaleTimeString("en-GB")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The queue's workers on a run (a PostgreSQL store's queued run): how many are live, their samples per
 * second together and the samples they stored, refreshed while the run is in progress. Nothing on SQLite
 * or for a run no worker touched.
 */
export function WorkersLine(props: { runId: string; running: boolean }) {
  const workers = useQuery({
    queryKey: ["workers", props.runId],
    queryFn: ({ signal }) => api.runWorkers(props.runId, signal),
    refetchInterval: (query) => (props.running && query.state.data?.workers !== null ? workersPollMs : false),
  });
  const listing = workers.data;
  if (!listing || listing.workers === null || listing.workers.length === 0) return null;
  return (
    <section className="workers-line" data-testid="workers-line" aria-label="Workers">
      <p className="workers-summary">
        <span role="status" aria-live="polite" data-testid="workers-summary">
          {workersSummary(listing)}
        </span>
        {props.running && <span className="muted"> · updates every {workersPollMs / 1000} s</span>}
      </p>
      <details>
        <summary>
          {count(listing.workers.length)} {listing.workers.length === 1 ? "worker" : "workers"} on this run
        </summary>
        <WorkersTable listing={listing} />
      </details>
    </section>
  );
}
