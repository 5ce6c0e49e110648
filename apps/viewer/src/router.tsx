import {
  type MouseEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useState,
  useSyncExternalStore,
} from "react";

/** The pages of the viewer and their parameters, read from the path. */
export type Route =
  | { page: "runs" }
  | { page: "run"; runId: string }
  | { page: "sample"; runId: string; key: string }
  | { page: "item"; runId: string; itemId: string }
  | { page: "compare" }
  | { page: "many" }
  | { page: "sweeps" }
  | { page: "sweep"; sweepId: string }
  | { page: "not-found"; path: string };

/** Which page a path shows. Path segments are URL-decoded. */
export function matchRoute(pathname: string): Route {
  const parts = pathname
    .split("/")
    .filter((part) => part !== "")
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  if (parts.length === 0) return { page: "runs" };
  if (parts[0] === "compare" && parts.length === 1) return { page: "compare" };
  if (parts[0] === "compare" && parts[1] === "many" && parts.length === 2) return { page: "many" };
  if (parts[0] === "sweeps" && parts.length === 1) return { page: "sweeps" };
  if (parts[0] === "sweeps" && parts[1] !== undefined && parts.length === 2) {
    return { page: "sweep", sweepId: parts[1] };
  }
  if (parts[0] === "runs" && parts[1] !== undefined) {
    if (parts.length === 2) return { page: "run", runId: parts[1] };
    if (parts.length === 4 && parts[2] === "samples" && parts[3] !== undefined) {
      return { page: "sample", runId: parts[1], key: parts[3] };
    }
    if (parts.length === 4 && parts[2] === "items" && parts[3] !== undefined) {
      return { page: "item", runId: parts[1], itemId: parts[3] };
    }
  }
  return { page: "not-found", path: pathname };
}

export const paths = {
  runs: () => "/",
  run: (runId: string, search?: URLSearchParams) => withSearch(`/runs/${encodeURIComponent(runId)}`, search),
  sample: (runId: string, key: string, search?: URLSearchParams) =>
    withSearch(`/runs/${encodeURIComponent(runId)}/samples/${encodeURIComponent(key)}`, search),
  /** One query of a run in every tier and epoch, side by side. */
  item: (runId: string, itemId: string) =>
    `/runs/${encodeURIComponent(runId)}/items/${encodeURIComponent(itemId)}`,
  /** Any number of runs in forest plots, each paired against the baseline. */
  many: (runIds: readonly string[], baseline?: string) => {
    const search = new URLSearchParams({ runs: runIds.join(",") });
    if (baseline) search.set("baseline", baseline);
    return withSearch("/compare/many", search);
  },
  sweeps: () => "/sweeps",
  /** A sweep as a matrix of its cells. */
  sweep: (sweepId: string) => `/sweeps/${encodeURIComponent(sweepId)}`,
  compare: (a?: string, b?: string) => {
    const search = new URLSearchParams();
    if (a) search.set("a", a);
    if (b) search.set("b", b);
    return withSearch("/compare", search);
  },
};

function withSearch(path: string, search?: URLSearchParams): string {
  const text = search?.toString() ?? "";
  return text ? `${path}?${text}` : path;
}

const listeners = new Set<() => void>();
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}
function snapshot(): string {
  return `${window.location.pathname}${window.location.search}`;
}

/** Go to `href` inside the app (History API); `replace` keeps the back button for real page changes. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (href === snapshot()) return;
  if (options.replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  for (const listener of listeners) listener();
}

/** The current path and search parameters; re-renders on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const current = useSyncExternalStore(subscribe, snapshot, snapshot);
  const url = new URL(current, "http://viewer.local");
  return { pathname: url.pathname, search: url.searchParams };
}

/**
 * State kept in the URL's search parameters, so any view can be shared by its address. Setting a value
 * to null or "" removes the parameter; updates replace the history entry (filters are not pages).
 */
export function useSearchState(): [URLSearchParams, (changes: Record<string, string | null>) => void] {
  const { search } = useLocation();
  const update = useCallback((changes: Record<string, string | null>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(name);
      else next.set(name, value);
    }
    const text = next.toString();
    navigate(`${window.location.pathname}${text ? `?${text}` : ""}`, { replace: true });
  }, []);
  return [search, update];
}

/**
 * A text box bound to the search parameter `name`: typing writes the address a moment after it stops
 * (and clears `resets`, e.g. the page or the selected row), and a change of the address made elsewhere
 * (a link, back/forward) replaces the text, so a stale box never writes its old text back.
 */
export function useSearchText(
  name: string,
  resets: readonly string[] = [],
): [string, (text: string) => void] {
  const [search, setSearch] = useSearchState();
  const inAddress = search.get(name) ?? "";
  const [text, setText] = useState(inAddress);
  const [seen, setSeen] = useState(inAddress);
  if (inAddress !== seen) {
    // Adjusting state while rendering (React's documented pattern) keeps the box and the address in step.
    setSeen(inAddress);
    setText(inAddress);
  }
  const resetKey = resets.join(",");
  useEffect(() => {
    if (text === inAddress) return;
    const timer = setTimeout(() => {
      const changes: Record<string, string | null> = { [name]: text };
      for (const other of resetKey === "" ? [] : resetKey.split(",")) changes[other] = null;
      setSearch(changes);
    }, 250);
    return () => clearTimeout(timer);
  }, [text, inAddress, name, resetKey, setSearch]);
  return [text, setText];
}

/** An anchor that navigates inside the app on a plain click and behaves normally otherwise (new tab...). */
export function Link(props: { href: string; children: ReactNode; className?: string; title?: string }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} onClick={onClick} className={props.className} title={props.title}>
      {props.children}
    </a>
  );
}
