import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api-client.js";
import { simulatedSidesLabel } from "../components/run-banners.js";
import { count } from "../format.js";
import { Link, navigate, paths, useSearchState, useSearchText } from "../router.js";

const runsPerPage = 50;

/** Every stored run, newest first, with search, status filter, paging, and two-run selection for compare. */
export function RunsPage() {
  const [search, setSearch] = useSearchState();
  const page = Math.max(0, Number(search.get("page") ?? "0") || 0);
  const [text, setText] = useSearchText("q", ["page"]);
  const [picked, setPicked] = useState<string[]>([]);

  const params = new URLSearchParams();
  params.set("limit", String(runsPerPage));
  params.set("offset", String(page * runsPerPage));
  const q = search.get("q");
  if (q) params.set("q", q);
  const status = search.get("status");
  if (status) params.set("status", status);
  const runs = useQuery({
    queryKey: ["runs", params.toString()],
    queryFn: ({ signal }) => api.runs(params, signal),
    refetchInterval: 5_000,
  });

  const toggle = (id: string) =>
    setPicked((current) =>
      current.includes(id) ? current.filter((entry) => entry !== id) : [...current, id].slice(-2),
    );

  return (
    <main className="runs-page">
      <h1>Runs</h1>
      <div className="filters">
        <label className="search-box">
          Search
          <input
            aria-label="Search runs"
            type="search"
            placeholder="id, label or model"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <label>
          Status
          <select
            aria-label="Run status"
            value={status ?? ""}
            onChange={(event) => setSearch({ status: event.target.value, page: null })}
          >
            <option value="">all</option>
            <option value="running">running</option>
            <option value="complete">complete</option>
            <option value="interrupted">interrupted</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button
          type="button"
          disabled={picked.length !== 2}
          onClick={() => navigate(paths.compare(picked[0], picked[1]))}
        >
          Compare selected ({picked.length}/2)
        </button>
      </div>
      {runs.error && <p className="error">{runs.error.message}</p>}
      {runs.data && runs.data.total === 0 && (
        <p className="empty">No runs yet. Start one with `aflab run` or `aflab demo`.</p>
      )}
      {runs.data && runs.data.total > 0 && (
        <table className="runs-table">
          <thead>
            <tr>
              <th aria-label="select" />
              <th>run</th>
              <th>model</th>
              <th>setting</th>
              <th>status</th>
              <th>progress</th>
              <th>created</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((run) => {
              const done = run.progress.complete + run.progress.failed;
              return (
                <tr key={run.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${run.id} for comparison`}
                      checked={picked.includes(run.id)}
                      onChange={() => toggle(run.id)}
                    />
                  </td>
                  <td>
                    <Link href={paths.run(run.id)}>{run.config.label || run.id}</Link>
                    {run.config.label && <div className="muted">{run.id}</div>}
                  </td>
                  <td>
                    {run.config.model}
                    {run.simulated && (
                      <span className="badge badge-simulated">simulated {simulatedSidesLabel(run)}</span>
                    )}
                  </td>
                  <td>
                    {run.config.setting}
                    {run.config.variants.length > 0 && (
                      <div className="muted">{run.config.variants.join(" + ")}</div>
                    )}
                  </td>
                  <td>
                    <span className={`badge badge-${run.status}`}>{run.status}</span>
                  </td>
                  <td>
                    {count(done)} / {count(run.total)}
                    {run.progress.errored > 0 && (
                      <span className="muted"> ({run.progress.errored} errored)</span>
                    )}
                  </td>
                  <td>{run.createdAt.replace("T", " ").slice(0, 16)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {runs.data && runs.data.total > runsPerPage && (
        <nav className="pager">
          <button
            type="button"
            disabled={page === 0}
            onClick={() => setSearch({ page: page > 1 ? String(page - 1) : null })}
          >
            newer
          </button>
          <span>
            page {page + 1} of {Math.ceil(runs.data.total / runsPerPage)}
          </span>
          <button
            type="button"
            disabled={(page + 1) * runsPerPage >= runs.data.total}
            onClick={() => setSearch({ page: String(page + 1) })}
          >
            older
          </button>
        </nav>
      )}
    </main>
  );
}
