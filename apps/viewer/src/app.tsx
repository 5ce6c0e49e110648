import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { ComparePage } from "./pages/compare-page.js";
import { ManyRunsPage } from "./pages/many-runs-page.js";
import { PairedPage } from "./pages/paired-page.js";
import { RunPage } from "./pages/run-page.js";
import { RunsPage } from "./pages/runs-page.js";
import { SweepPage } from "./pages/sweep-page.js";
import { SweepsPage } from "./pages/sweeps-page.js";
import { TranscriptPage } from "./pages/transcript-page.js";
import { Link, matchRoute, paths, useLocation } from "./router.js";

function Page() {
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  switch (route.page) {
    case "runs":
      return <RunsPage />;
    case "run":
      return <RunPage key={route.runId} runId={route.runId} />;
    case "sample":
      return <TranscriptPage key={`${route.runId}/${route.key}`} runId={route.runId} sampleKey={route.key} />;
    case "item":
      return <PairedPage key={`${route.runId}/${route.itemId}`} runId={route.runId} itemId={route.itemId} />;
    case "compare":
      return <ComparePage />;
    case "many":
      return <ManyRunsPage />;
    case "sweeps":
      return <SweepsPage />;
    case "sweep":
      return <SweepPage key={route.sweepId} sweepId={route.sweepId} />;
    case "not-found":
      return (
        <main>
          <h1>Not found</h1>
          <p>Nothing lives at {route.path}.</p>
        </main>
      );
  }
}

/** The viewer: a header and the page the address names. */
export function App(props: { client?: QueryClient }) {
  const [client] = useState(
    () =>
      props.client ??
      new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } }),
  );
  return (
    <QueryClientProvider client={client}>
      <header className="app-header">
        <Link href={paths.runs()} className="brand">
          aflab
        </Link>
        <nav>
          <Link href={paths.runs()}>runs</Link>
          <Link href={paths.sweeps()}>sweeps</Link>
          <Link href={paths.compare()}>compare</Link>
        </nav>
      </header>
      <Page />
    </QueryClientProvider>
  );
}
