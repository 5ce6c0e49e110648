import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "@aflab/core";

/** The faults a fake server can inject. `none` is a normal answer (useful inside a `faultSequence`). */
export type FaultKind =
  | "none"
  | "rate-limit" // 429 with retry-after
  | "overloaded" // 529 (Anthropic) or 503 (OpenAI)
  | "server-error" // 500
  | "drop" // status line and half the body, then the socket is destroyed
  | "stall" // no answer until the client gives up (or the server closes)
  | "bad-request" // 400
  | "unauthorized" // 401
  | "not-found" // 404
  | "quota"; // the account has no credit left (OpenAI: 429 insufficient_quota; Anthropic: 400)

/** One scripted fault; `headers` are added to the error response (e.g. a custom `retry-after-ms`). */
export interface FaultSpec {
  kind: FaultKind;
  /** For `rate-limit`: the retry-after value in seconds; null sends no retry-after header at all. */
  retryAfterSeconds?: number | null;
  headers?: Record<string, string>;
}

export interface FaultRates {
  /** Share (0..1) of requests answered 429. */
  rateLimit?: number;
  /** Share answered 529 overloaded (503 on the OpenAI fake). */
  overloaded?: number;
  /** Share answered 500. */
  serverError?: number;
  /** Share whose connection is dropped mid-response. */
  drop?: number;
  /** retry-after seconds sent with a random 429 (default 1). */
  retryAfterSeconds?: number;
}

/** Latency before each answer: fixed milliseconds, or uniform in [min, max] from the seeded RNG. */
export type Latency = number | { min: number; max: number };

export interface RecordedRequest {
  method: string;
  path: string;
  /** Request headers with `authorization` and `x-api-key` removed. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined for a GET or an unparsable body). */
  body: unknown;
  /** The fault injected on this request (`none` when it was answered normally). */
  fault: FaultKind;
  /** When the request arrived (epoch milliseconds): orders it against what other processes stored. */
  receivedAt: number;
}

export interface FakeServerBaseOptions {
  /** The key the fake accepts, as `x-api-key` or `authorization: Bearer`; anything else gets 401. Default `test-key`. */
  apiKey?: string;
  /** Model names the fake knows; any other gets 404. Default: every model is accepted. */
  models?: string[];
  faults?: FaultRates;
  /** Faults applied to the first requests, in arrival order, before the random rates take over. */
  faultSequence?: Array<FaultKind | FaultSpec>;
  latencyMs?: Latency;
  /** Seed of the RNG that draws faults and latencies, so a run of the fake is repeatable. Default 1. */
  seed?: number;
  /** How long a `stall` fault holds the connection before destroying it (default 30 s). */
  stallMs?: number;
}

/** A running fake; shared by both providers' fakes. */
export interface FakeServer {
  /** The base URL to hand to the SDK (Anthropic: origin; OpenAI: origin + `/v1`). */
  readonly baseUrl: string;
  readonly port: number;
  readonly apiKey: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests being handled right now, and the most ever handled at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** The fakes' token count: about four characters per token, at least one for non-empty text. */
export function fakeTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export interface HandlerContext {
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  path: string;
  body: unknown;
  /** The body's bytes as received (a multipart upload is not JSON). */
  raw: Buffer;
  /** The fault drawn for this request. */
  fault: FaultSpec;
  /** True when the request carried the expected key. */
  authorized: boolean;
  random: () => number;
}

/**
 * Starts a `node:http` server on 127.0.0.1 with a free port. It records requests, tracks the number
 * in flight, draws a fault for each request and delays it; `handle` writes the provider-specific answer.
 */
export async function startFakeServer(
  options: FakeServerBaseOptions,
  basePath: string,
  handle: (context: HandlerContext) => void | Promise<void>,
): Promise<FakeServer> {
  const apiKey = options.apiKey ?? "test-key";
  const random = seededRandom(options.seed ?? 1);
  const sequence = [...(options.faultSequence ?? [])].map(
    (entry): FaultSpec => (typeof entry === "string" ? { kind: entry } : entry),
  );
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;

  const drawFault = (): FaultSpec => {
    const scripted = sequence.shift();
    if (scripted) return scripted;
    const rates = options.faults ?? {};
    const draw = random();
    let threshold = 0;
    const table: Array<[number | undefined, FaultKind]> = [
      [rates.rateLimit, "rate-limit"],
      [rates.overloaded, "overloaded"],
      [rates.serverError, "server-error"],
      [rates.drop, "drop"],
    ];
    for (const [rate, kind] of table) {
      threshold += rate ?? 0;
      if (draw < threshold)
        return kind === "rate-limit" ? { kind, retryAfterSeconds: rates.retryAfterSeconds ?? 1 } : { kind };
    }
    return { kind: "none" };
  };

  const drawLatency = (): number => {
    const latency = options.latencyMs ?? 0;
    if (typeof latency === "number") return latency;
    return latency.min + random() * (latency.max - latency.min);
  };

  const wait = (milliseconds: number) =>
    new Promise<void>((resolve) => {
      if (milliseconds <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, milliseconds);
      timers.add(timer);
    });

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        inFlight -= 1;
      };
      response.on("close", finish);
      response.on("finish", finish);

      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString("utf8");
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (name === "authorization" || name === "x-api-key" || value === undefined) continue;
        headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const presented =
        request.headers["x-api-key"] ?? request.headers.authorization?.replace(/^Bearer\s+/i, "");
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const path = url.pathname;
      const method = request.method ?? "GET";
      const fault = drawFault();
      requests.push({ method, path, headers, body, fault: fault.kind, receivedAt: Date.now() });

      void wait(drawLatency())
        .then(() => {
          if (response.destroyed) return;
          if (fault.kind === "stall") {
            void wait(options.stallMs ?? 30_000).then(() => request.socket.destroy());
            return;
          }
          return handle({
            request,
            response,
            method,
            path,
            body,
            raw: bytes,
            fault,
            authorized: presented === apiKey,
            random,
          });
        })
        .catch((error: unknown) => {
          // A `respond` callback that throws is a bug in the test, not a reason to crash the process:
          // answer 500 with the message so the client's error names it.
          if (response.headersSent || response.destroyed) return;
          const message = error instanceof Error ? error.message : String(error);
          sendJson(response, 500, {
            error: { type: "api_error", message: `fake respond failed: ${message}` },
          });
        });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    port,
    apiKey,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends a JSON answer with extra headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Sends a body exactly as given (a recorded provider response), as JSON. */
export function sendRecorded(
  response: ServerResponse,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** A reply given as a recorded response body: the fake sends it byte for byte instead of building one. */
export interface RecordedReply {
  recordedBody: string;
}

export function isRecordedReply(value: unknown): value is RecordedReply {
  return (
    typeof value === "object" && value !== null && typeof (value as RecordedReply).recordedBody === "string"
  );
}

/** Sends the status line, the headers and half the body of a success, then destroys the socket. */
export function sendDropped(response: ServerResponse, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
}

/** The default `respond`: a short answer quoting the end of the last user message. */
export function echoText(lastUserText: string): string {
  const tail = lastUserText.length > 200 ? lastUserText.slice(-200) : lastUserText;
  return `Echo: ${tail}`;
}
