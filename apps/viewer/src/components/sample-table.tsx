import { useQueries } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api-client.js";
import type { SampleRow } from "../api-types.js";
import { count, percent, tierLabel, usd } from "../format.js";
import { navigate, paths, useSearchState, useSearchText } from "../router.js";
import { apiFilterParams, type FilterClassifiers, filterSearch } from "../sample-filters.js";

/** Rows fetched per request; the table asks only for the pages that scroll into view. */
export const pageSize = 200;
const rowHeight = 34;

interface SampleTableProps {
  runId: string;
  classifiers: FilterClassifiers;
  failureKinds: string[];
  /** Changes when the run gains samples, so visible pages refetch. */
  version: number;
}

function decisionClass(decision: string | null | undefined): string {
  switch (decision) {
    case "compliant":
    case "yes":
      return "decision decision-yes";
    case "refused":
    case "no":
      return "decision decision-no";
    case "maybe":
    case "unknown":
      return "decision decision-maybe";
    default:
      return "decision";
  }
}

function verdictText(row: SampleRow, classifier: string | null): { text: string; className: string } {
  if (!classifier) return { text: "", className: "decision" };
  const verdict = row.verdicts[classifier];
  if (!verdict) return { text: "—", className: "decision" };
  if (verdict.status === "failed") return { text: "judge failed", className: "decision decision-failed" };
  if (verdict.status === "not_applicable") return { text: "n/a", className: "decision" };
  return { text: verdict.decision ?? "?", className: decisionClass(verdict.decision) };
}

/**
 * The run's samples: filters and search in the URL, a virtualised list that stays fast at any size
 * (only visible rows are in the DOM, fetched page by page), and keyboard navigation: j/k or arrows to
 * move, Enter to open the transcript.
 */
export function SampleTable(props: SampleTableProps) {
  const [search, setSearch] = useSearchState();
  const apiParams = useMemo(() => apiFilterParams(search, props.classifiers), [search, props.classifiers]);
  const filterKey = apiParams.toString();
  const selected = Math.max(0, Number(search.get("row") ?? "0") || 0);
  const scrollRef = useRef<HTMLDivElement>(null);
  // The text box updates the URL a moment after typing stops, so each keystroke is not a request.
  const [query, setQuery] = useSearchText("q", ["row"]);

  const [visiblePages, setVisiblePages] = useState<number[]>([0]);
  const results = useQueries({
    queries: visiblePages.map((page) => ({
      queryKey: ["samples", props.runId, filterKey, page, props.version],
      queryFn: ({ signal }: { signal: AbortSignal }) => {
        const params = new URLSearchParams(apiParams);
        params.set("limit", String(pageSize));
        params.set("offset", String(page * pageSize));
        return api.samples(props.runId, params, signal);
      },
      placeholderData: (previous: unknown) => previous as never,
      staleTime: 5_000,
    })),
  });
  // The last known total stays while newly visible pages load: dropping to 0 in between would empty the
  // list, scroll back to page 0 and bounce between the two forever.
  const knownTotal = useRef(0);
  const fetchedTotal = results.find((result) => result.data)?.data?.total;
  if (fetchedTotal !== undefined) knownTotal.current = fetchedTotal;
  const total = knownTotal.current;
  const firstError = results.find((result) => result.error)?.error;
  const rows = new Map<number, SampleRow>();
  results.forEach((result, index) => {
    const page = visiblePages[index];
    if (page === undefined || !result.data) return;
    result.data.samples.forEach((row, offset) => {
      rows.set(page * pageSize + offset, row);
    });
  });

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    // Scrolling re-renders asynchronously: a synchronous flush per scroll event trips React's update-depth guard on long jumps.
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const firstPage = items.length > 0 ? Math.floor((items[0]?.index ?? 0) / pageSize) : 0;
  const lastPage = items.length > 0 ? Math.floor((items[items.length - 1]?.index ?? 0) / pageSize) : 0;
  useEffect(() => {
    const wanted: number[] = [];
    for (let page = firstPage; page <= lastPage; page++) wanted.push(page);
    setVisiblePages((current) => (current.join(",") === wanted.join(",") ? current : wanted));
  }, [firstPage, lastPage]);

  // Bring the selected row into view once per selection (and per filter set), as soon as it exists. Not on
  // every change of the total: a running run's total grows all the time, and the reader's scroll position
  // must not snap back to the selected row each time a sample arrives.
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    const target = `${filterKey}#${selected}`;
    if (total === 0 || selected >= total || scrolledTo.current === target) return;
    scrolledTo.current = target;
    virtualizer.scrollToIndex(selected, { align: "auto" });
  }, [filterKey, selected, total, virtualizer]);

  const open = (index: number) => {
    const row = rows.get(index);
    if (row) navigate(paths.sample(props.runId, row.key, filterSearch(search)));
  };
  const openPair = (index: number) => {
    const row = rows.get(index);
    if (row) navigate(paths.item(props.runId, row.itemId));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (total === 0) return;
    let next = selected;
    if (event.key === "j" || event.key === "ArrowDown") next = Math.min(total - 1, selected + 1);
    else if (event.key === "k" || event.key === "ArrowUp") next = Math.max(0, selected - 1);
    else if (event.key === "Enter") {
      event.preventDefault();
      open(selected);
      return;
    } else if (event.key === "p") {
      event.preventDefault();
      openPair(selected);
      return;
    } else return;
    event.preventDefault();
    setSearch({ row: next === 0 ? null : String(next) });
  };

  const select = (name: string, value: string) => setSearch({ [name]: value, row: null });
  const sort = search.get("sort") ?? "index";
  const order = search.get("order") === "desc" ? "desc" : "asc";

  /** A column heading that orders the table by its column; again to flip the direction. */
  const sortButton = (heading: { column: string; label: string; className: string }) => {
    const active = sort === heading.column;
    return (
      <button
        key={heading.column}
        type="button"
        className={`sort-button ${heading.className}`}
        aria-pressed={active}
        onClick={() =>
          setSearch({
            sort: heading.column === "index" ? null : heading.column,
            order: active && order === "asc" ? "desc" : null,
            row: null,
          })
        }
      >
        {heading.label}
        {active ? (order === "asc" ? " ▲" : " ▼") : ""}
      </button>
    );
  };

  return (
    <section className="sample-table" aria-label="Samples">
      <div className="filters">
        <FilterSelect
          label="Tier"
          value={search.get("tier") ?? ""}
          onChange={(value) => select("tier", value)}
          options={["free", "paid", "pro", "enterprise"].map((tier) => [tier, tierLabel(tier)])}
        />
        <FilterSelect
          label="Compliance"
          value={search.get("compliance") ?? ""}
          onChange={(value) => select("compliance", value)}
          options={["compliant", "refused", "unknown"].map((decision) => [decision, decision])}
        />
        {props.classifiers.alignmentFaking && (
          <FilterSelect
            label="Alignment faking"
            value={search.get("af") ?? ""}
            onChange={(value) => select("af", value)}
            options={[
              ["yes", "yes"],
              ["maybe", "maybe"],
              ["no", "no"],
              ["failed", "judge failed"],
            ]}
          />
        )}
        <FilterSelect
          label="Status"
          value={search.get("status") ?? ""}
          onChange={(value) => select("status", value)}
          options={["complete", "failed", "errored"].map((status) => [status, status])}
        />
        <FilterSelect
          label="Failure"
          value={search.get("failure") ?? ""}
          onChange={(value) => select("failure", value)}
          options={props.failureKinds.map((kind) => [kind, kind])}
        />
        <FilterSelect
          label="Human labels"
          value={search.get("label") ?? ""}
          onChange={(value) => select("label", value)}
          options={[
            ["labelled", "labelled"],
            ["disagreement", "label ≠ judge"],
          ]}
        />
        <label className="search-box">
          Search
          <input
            aria-label="Search samples"
            type="search"
            placeholder="query, scratchpad or output text"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
        <span className="match-count" data-testid="match-count">
          {`${total.toLocaleString("en-US")} samples`}
        </span>
      </div>
      {firstError && <p className="error">{firstError.message}</p>}
      <div className="table-head" role="toolbar" aria-label="Sort samples">
        {sortButton({ column: "index", label: "#", className: "column-index" })}
        {sortButton({ column: "tier", label: "tier", className: "column-tier" })}
        {sortButton({ column: "compliance", label: "compliance", className: "column-decision" })}
        {sortButton({ column: "af", label: "alignment faking", className: "column-decision" })}
        {sortButton({ column: "status", label: "status", className: "column-status" })}
        {sortButton({ column: "tokens", label: "tokens", className: "column-tokens" })}
        {sortButton({ column: "cost", label: "cost", className: "column-cost" })}
        <span className="column-pair">tiers</span>
        {sortButton({ column: "query", label: "query", className: "column-query" })}
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a virtualised grid positions its rows absolutely, which a <table> cannot hold */}
      <div
        ref={scrollRef}
        className="table-body"
        role="grid"
        aria-label="Sample rows"
        aria-rowcount={total}
        aria-activedescendant={`sample-row-${selected}`}
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const row = rows.get(item.index);
            const compliance = row ? verdictText(row, props.classifiers.compliance) : null;
            const af = row ? verdictText(row, props.classifiers.alignmentFaking) : null;
            return (
              // biome-ignore lint/a11y/useSemanticElements: rows of the virtualised grid above
              // biome-ignore lint/a11y/useKeyWithClickEvents: the grid handles the keys (j/k, arrows, Enter) for every row
              // biome-ignore lint/a11y/useFocusableInteractive: focus stays on the grid; the selected row is its active descendant
              <div
                key={item.key}
                id={`sample-row-${item.index}`}
                role="row"
                aria-rowindex={item.index + 1}
                aria-selected={item.index === selected}
                className={`table-row${item.index === selected ? " selected" : ""}`}
                style={{
                  position: "absolute",
                  top: 0,
                  left: 0,
                  right: 0,
                  height: rowHeight,
                  transform: `translateY(${item.start}px)`,
                }}
                onClick={() => setSearch({ row: item.index === 0 ? null : String(item.index) })}
                onDoubleClick={() => open(item.index)}
              >
                {row ? (
                  <>
                    <span className="column-index">{row.index}</span>
                    <span className="column-tier">{row.tier}</span>
                    <span className={`column-decision ${compliance?.className ?? ""}`}>
                      {compliance?.text}
                    </span>
                    <span className={`column-decision ${af?.className ?? ""}`}>
                      {af?.text}
                      {af && row.verdicts[props.classifiers.alignmentFaking ?? ""]?.score != null
                        ? ` (${percent(row.verdicts[props.classifiers.alignmentFaking ?? ""]?.score, 0)})`
                        : ""}
                    </span>
                    <span className="column-status">
                      {row.failure ? `${row.status}: ${row.failure.kind}` : row.status}
                    </span>
                    <span
                      className="column-tokens"
                      title={`${row.usage.inputTokens} in, ${row.usage.outputTokens} out`}
                    >
                      {count(row.usage.inputTokens + row.usage.outputTokens)}
                    </span>
                    <span className="column-cost">{usd(row.costUsd)}</span>
                    <span className="column-pair">
                      <a
                        href={paths.item(props.runId, row.itemId)}
                        title="this query in every tier and epoch, side by side"
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(paths.item(props.runId, row.itemId));
                        }}
                      >
                        paired
                      </a>
                    </span>
                    <span className="column-query">
                      <a
                        href={paths.sample(props.runId, row.key, filterSearch(search))}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(paths.sample(props.runId, row.key, filterSearch(search)));
                        }}
                      >
                        {row.query}
                      </a>
                    </span>
                  </>
                ) : (
                  <span className="loading-row">loading…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
      <p className="hint">
        j / k or ↓ / ↑ to move, Enter to open, p for the query in every tier · filters and position are in the
        address bar
      </p>
    </section>
  );
}

/** One filter of the table: a labelled select whose first choice, "all", clears it. */
function FilterSelect(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly (readonly [value: string, text: string])[];
}) {
  return (
    <label>
      {props.label}
      <select
        aria-label={props.label}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      >
        <option value="">all</option>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
