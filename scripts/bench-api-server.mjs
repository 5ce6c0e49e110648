// The API server of `pnpm bench:api` and `pnpm bench:viewer`, in its own process like `aflab serve`:
// prints its URL as JSON. Arguments: the store file, the event-stream cap, and the built viewer to serve
// (none for the API benchmark).
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { openStore } = await import(path.join(root, "packages", "store", "dist", "index.js"));
const { startServer } = await import(path.join(root, "apps", "api", "dist", "index.js"));

const [file, streamsText, viewerDir] = process.argv.slice(2);
const streams = Number(streamsText);
const server = await startServer({
  store: openStore(file),
  port: 0,
  token: null,
  viewerDir: viewerDir ?? path.join(root, "no-viewer"),
  // The benchmark's streams all come from one address; the caps are set just above what it opens.
  eventStreamLimits: { perClient: streams + 10, total: streams + 10 },
});
console.log(JSON.stringify({ url: server.url }));
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
