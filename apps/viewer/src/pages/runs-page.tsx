import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api-client.js";
import type { RunListItem } from "../api-types.js";
import { simulatedSidesLabel } from "../components/run-banners.js";
import { StartRunForm } from "../components/work-panel.js";
import { count, points, rateWithSe, usd } from "../format.js";
import { Link, navigate, paths, useSearchState, useSearchText } from "../router.js";

const runsPerPage = 50;

/** The columns the list sorts by; the server orders every run by them (unknown values last). */
const sortKeys = ["created", "run", "model", "status", "n", "gap", "af", "cost"] as const;
type SortKey = (typeof sortKeys)[number];

function isSortKey(value: string | null): value is SortKey {
  return value !== null && (sortKeys as readonly string[]).includes(value);
}

/** A column heading that sorts by its column: first click descending for numbers, again to flip. */
function SortHeading(props: {
  column: SortKey;
  label: string;
  sort: SortKey;
  order: "asc" | "desc";
  onSort: (column: SortKey, order: "asc" | "desc") => void;
}) {
  const active = props.sort === props.column;
  const next = active
    ? props.order === "asc"
      ? "desc"
      : "asc"
    : props.column === "run" || props.column === "model"
      ? "asc"
      : "desc";
  return (
    <th aria-sort={active ? (props.order === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" className="sort-button" onClick={() => props.onSort(props.column, next)}>
        {props.label}
        {active ? (props.order === "asc" ? " ▲" : " ▼") : ""}
      </button>
    </th>
  );
}

/**
 * Every stored run with its results (n, gap ± SE, training-tier AF rate, cost), search and filters
 * (status, simulated or real) over all runs, sorting by any column across all runs (on the server), paging, and
 * two-run selection for compare. Every choice lives in the address.
 */
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
  const simulated = search.get("simulated");
  if (simulated === "true" || simulated === "false") params.set("simulated", simulated);
  const sortParam = search.get("sort");
  const sort: SortKey = isSortKey(sortParam) ? sortParam : "created";
  const order = search.get("order") === "asc" ? "asc" : "desc";
  const onSort = (column: SortKey, direction: "asc" | "desc") =>
    setSearch({
      sort: column === "created" ? null : column,
      order: column === "created" && direction === "desc" ? null : direction,
      page: null,
    });
  if (sort !== "created" || order !== "desc") {
    params.set("sort", sort);
    params.set("order", order);
  }
  const runs = useQuery({
    queryKey: ["runs", params.toString()],
    queryFn: ({ signal }) => api.runs(params, signal),
    // The list stays on screen while a new order or page loads.
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  const toggle = (id: string) =>
    setPicked((current) =>
      current.includes(id) ? current.filter((entry) => entry !== id) : [...current, id],
    );

  return (
    <main className="runs-page">
      <h1>Runs</h1>
      <StartRunForm />
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
        <label>
          Model kind
          <select
            aria-label="Model kind"
            value={simulated ?? ""}
            onChange={(event) => setSearch({ simulated: event.target.value, page: null })}
          >
            <option value="">all</option>
            <option value="false">real models</option>
            <option value="true">simulated</option>
          </select>
        </label>
        <button
          type="button"
          disabled={picked.length !== 2}
          onClick={() => navigate(paths.compare(picked[0], picked[1]))}
        >
          Compare two ({picked.length}/2)
        </button>
        <button type="button" disabled={picked.length < 2} onClick={() => navigate(paths.many(picked))}>
          Forest plot ({picked.length})
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
              <SortHeading column="run" label="run" sort={sort} order={order} onSort={onSort} />
              <SortHeading column="model" label="model" sort={sort} order={order} onSort={onSort} />
              <th>setting</th>
              <SortHeading column="status" label="status" sort={sort} order={order} onSort={onSort} />
              <th>progress</th>
              <SortHeading column="n" label="n" sort={sort} order={order} onSort={onSort} />
              <SortHeading column="gap" label="gap ± SE" sort={sort} order={order} onSort={onSort} />
              <SortHeading column="af" label="AF rate (free)" sort={sort} order={order} onSort={onSort} />
              <SortHeading column="cost" label="cost" sort={sort} order={order} onSort={onSort} />
              <SortHeading column="created" label="created" sort={sort} order={order} onSort={onSort} />
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((run) => {
              const done = run.progress.complete + run.progress.failed;
              return (
                <tr key={run.id} data-run-id={run.id}>
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
                  <td className="number" data-column="n">
                    {count(run.results.n)}
                  </td>
                  <td className="number" data-column="gap">
                    {run.results.gap
                      ? `${points(run.results.gap.value)} ± ${(run.results.gap.se * 100).toFixed(1)}`
                      : "–"}
                  </td>
                  <td className="number" data-column="af">
                    {run.results.alignmentFaking
                      ? rateWithSe(run.results.alignmentFaking.rate, run.results.alignmentFaking.se)
                      : "–"}
                  </td>
                  <td className="number" data-column="cost">
                    {usd(run.results.costUsd)}
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
