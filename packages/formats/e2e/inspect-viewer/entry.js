// The Inspect log viewer published on npm, mounted the way Inspect's own page mounts it for a log served
// over plain HTTP: `?log_file=<url>` picks the static HTTP API, which reads the .eval zip by range requests.
import { App, clientApi, initializeStore, simpleHttpApi } from "@metrevals/inspect-log-viewer";
import "@metrevals/inspect-log-viewer/styles/index.css";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

const logFile = new URLSearchParams(window.location.search).get("log_file") ?? undefined;
const api = clientApi(simpleHttpApi(undefined, logFile), logFile);
initializeStore(
  api,
  {
    downloadFiles: false,
    downloadLogs: false,
    webWorkers: false,
    streamSamples: false,
    streamSampleData: false,
  },
  undefined,
);
createRoot(document.getElementById("app")).render(createElement(App, { api }));
