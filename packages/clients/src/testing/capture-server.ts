import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request exactly as it arrived: nothing is parsed, checked or left out. */
export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CaptureServer {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  requests: CapturedRequest[];
  /** Every header and body received, as one text, to search for a secret that must never arrive. */
  received(): string;
  close(): Promise<void>;
}

/**
 * A listener on 127.0.0.1 that records every request in full (headers included, so a key sent to it is
 * seen) and answers each with a 401 JSON error. Tests that play an attacker point a base URL here and
 * then check what arrived.
 *
 * @example
 * const capture = await startCaptureServer();
 * // ... try to make the code under test send a key to capture.baseUrl ...
 * expect(capture.received()).not.toContain(process.env.ANTHROPIC_API_KEY);
 * await capture.close();
 */
export async function startCaptureServer(): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { type: "authentication_error", message: "captured" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    received: () =>
      requests
        .map(
          (request) =>
            `${request.method} ${request.path}\n${JSON.stringify(request.headers)}\n${request.body}`,
        )
        .join("\n"),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
