import { request as httpRequest } from "node:http";
import type { ProvidersConfig } from "@aflab/clients";
import {
  type CaptureServer,
  type FakeServer,
  startCaptureServer,
  startFakeAnthropicServer,
  startFakeOpenAIServer,
} from "@aflab/clients/testing";
import { createClientFactory } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp, type CreateAppOptions } from "./app.js";
import { startServer } from "./server.js";
import { seedDemoRun } from "./testing/demo-run.js";

// The operator's keys: the attacker's goal is to see any of them arrive at the capture server.
const keys = {
  ANTHROPIC_API_KEY: "sk-ant-api03-operator-anthropic-key-0000",
  OPENAI_API_KEY: "sk-proj-operator-openai-key-111111111111",
  OPENAI_COMPATIBLE_API_KEY: "operator-compatible-key-2222",
  TOGETHER_API_KEY: "operator-together-key-33333333",
};
const token = "api-token-abcdef0123456789";
const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };

let capture: CaptureServer;
let anthropic: FakeServer;
let openai: FakeServer;
let together: FakeServer;
let vllm: FakeServer;
let environment: Record<string, string>;
let providers: ProvidersConfig;
let store: Store;

beforeAll(async () => {
  capture = await startCaptureServer();
  // The operator's own endpoints, each expecting its own key.
  anthropic = await startFakeAnthropicServer({ apiKey: keys.ANTHROPIC_API_KEY });
  openai = await startFakeOpenAIServer({ apiKey: keys.OPENAI_API_KEY });
  together = await startFakeOpenAIServer({ apiKey: keys.TOGETHER_API_KEY });
  vllm = await startFakeOpenAIServer({
    apiKey: keys.OPENAI_COMPATIBLE_API_KEY,
    respond: () => "<OUTPUT><rejected/></OUTPUT>",
  });
  environment = { ...keys, ANTHROPIC_BASE_URL: anthropic.baseUrl, OPENAI_BASE_URL: openai.baseUrl };
  providers = {
    providers: {
      together: { type: "openai-compatible", baseUrl: together.baseUrl, apiKeyEnv: "TOGETHER_API_KEY" },
    },
    models: {},
  };
});

afterAll(async () => {
  await Promise.all([capture, anthropic, openai, together, vllm].map((server) => server.close()));
});

beforeEach(async () => {
  store = openStore(":memory:");
  await seedDemoRun(store, { id: "run-a", samplesPerTier: 2 });
});

afterEach(async () => {
  await store.close();
  // Whatever a case did, nothing may have reached the attacker's listener.
  expect(capture.requests).toEqual([]);
});

function appOptions(overrides: Partial<CreateAppOptions> = {}): CreateAppOptions {
  return {
    store,
    token,
    environment,
    allowedBaseUrls: [vllm.baseUrl],
    createClient: createClientFactory({ env: environment, providers }),
    ...overrides,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: error bodies are checked field by field
async function json(response: Response): Promise<any> {
  return response.json();
}

const post = (body: unknown, headers: Record<string, string> = auth) => ({
  method: "POST",
  headers,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

describe("a request naming the attacker's host", () => {
  it("is refused before any key leaves: the reported attack, for Anthropic and OpenAI keys", async () => {
    const { app, jobs } = buildApp(appOptions());
    for (const model of ["anthropic/claude-3-opus-20240229", "openai/gpt-4o"]) {
      const response = await app.request("/api/runs", post({ model, baseUrl: capture.baseUrl }));
      expect(response.status, model).toBe(400);
      const body = await json(response);
      expect(body).toEqual({ code: "BAD_REQUEST", message: expect.stringContaining("baseUrl") });
    }
    // Nothing was started in the background either.
    expect((await store.listRuns()).total).toBe(1);
    await Promise.all((await store.listRuns()).runs.map((run) => jobs.settled(run.id)));
  });

  it("is refused for every URL-carrying field and spelling, with and without the token", async () => {
    const attackerUrls = [
      capture.baseUrl,
      `${capture.baseUrl}/v1`,
      `${capture.baseUrl.replace("127.0.0.1", "localhost")}/v1`,
      `${capture.baseUrl}/#${vllm.baseUrl}`,
      `http://user:pass@${capture.baseUrl.slice("http://".length)}`,
      `${vllm.baseUrl}@${capture.baseUrl.slice("http://".length)}`,
      "file:///etc/passwd",
      "http://169.254.169.254/latest/meta-data/",
    ];
    const models = [
      "anthropic/claude-3-opus-20240229",
      "openai/gpt-4o",
      "openai-compatible/llama",
      "together/llama",
      "sim/opus-like",
    ];
    const app = buildApp(appOptions()).app;
    for (const headers of [{}, { authorization: "Bearer wrong-token" }, auth]) {
      for (const baseUrl of attackerUrls) {
        for (const model of models) {
          const response = await app.request("/api/runs", post({ model, baseUrl }, headers));
          const what = `${model} → ${baseUrl} with ${JSON.stringify(headers)}`;
          if (headers === auth) {
            expect(response.status, what).toBe(400);
            expect((await json(response)).message, what).toContain("baseUrl");
          } else {
            expect(response.status, what).toBe(401);
          }
        }
      }
    }
    expect((await store.listRuns()).total).toBe(1);
  });

  it("cannot send a key elsewhere by pairing an allowed base URL with a provider bound to another host", async () => {
    const app = buildApp(appOptions()).app;
    for (const model of ["anthropic/claude-3-opus-20240229", "openai/gpt-4o", "together/llama"]) {
      const response = await app.request("/api/runs", post({ model, baseUrl: vllm.baseUrl }));
      expect(response.status, model).toBe(400);
      expect((await json(response)).message, model).toMatch(/baseUrl: \w+ is only sent to/);
    }
    expect(vllm.requests).toHaveLength(0);
  });

  it("cannot aim a judge anywhere: judges take no base URL, and their keys stay bound", async () => {
    const app = buildApp(appOptions()).app;
    const run = await app.request(
      "/api/runs",
      post({ model: "sim/opus-like", judge: "openai-compatible/judge", baseUrl: capture.baseUrl }),
    );
    expect(run.status).toBe(400);
    const classify = await app.request(
      "/api/runs/run-a/classify",
      post({ classifiers: ["af-reasoning"], judge: "openai-compatible/judge", force: true }),
    );
    expect(classify.status).toBe(400);
    expect((await json(classify)).message).toContain("base URL");
    const smuggled = await app.request(
      "/api/runs/run-a/classify",
      post({ classifiers: ["af-reasoning"], judge: "openai/gpt-4o", baseUrl: capture.baseUrl }),
    );
    expect(smuggled.status).toBe(400);
    expect((await json(smuggled)).message).toContain("baseUrl");
  });

  it("reaches only what the operator configured, with the operator's keys", async () => {
    const { app, jobs } = buildApp(appOptions());
    const started = async (body: unknown) => {
      const response = await app.request("/api/runs", post(body));
      expect(response.status, JSON.stringify(body)).toBe(202);
      const { id } = await json(response);
      await jobs.settled(id);
      return await store.requireRun(id);
    };
    const dataset = { source: "builtin:harmful", limit: 1 };
    // An allowed base URL, spelled with the freedom a URL allows (scheme case, trailing slash).
    const viaAllowed = await started({
      model: "openai-compatible/llama",
      baseUrl: `${vllm.baseUrl.replace("http://", "HTTP://")}/`,
      dataset,
      label: `a label may mention ${capture.baseUrl} and nothing fetches it`,
    });
    expect(viaAllowed.status).toBe("complete");
    expect(vllm.requests.length).toBeGreaterThan(0);
    const viaProvider = await started({ model: "together/llama", dataset });
    expect(viaProvider.status).toBe("complete");
    expect(together.requests.length).toBeGreaterThan(0);
    const viaEnvironment = await started({ model: "anthropic/claude-3-opus-20240229", dataset });
    expect(viaEnvironment.status).toBe("complete");
    expect(anthropic.requests.length).toBeGreaterThan(0);
  });
});

describe("a request naming a file on the server", () => {
  it("is refused naming the field, with nothing read and nothing started", async () => {
    const app = buildApp(appOptions()).app;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ promptFile: "/etc/passwd" }, "promptFile"],
      [{ promptFile: "prompt.jinja2", promptVariables: { a: "b" } }, "promptFile"],
      [{ promptVariables: { include: "../.env" } }, "promptVariables"],
      [{ dataset: { source: "/etc/passwd" } }, "dataset.source"],
      [{ dataset: { source: "../.env" } }, "dataset.source"],
      [{ dataset: { source: "queries.csv" } }, "dataset.source"],
      [{ dataset: { source: "file:///etc/passwd" } }, "dataset.source"],
      [{ dataset: { source: `${capture.baseUrl}/queries.csv` } }, "dataset.source"],
      [{ dataset: { source: "builtin:harmful", path: "/etc" } }, "path"],
      [{ includeRoot: "/" }, "includeRoot"],
      [{ promptIncludeRoot: "/etc" }, "promptIncludeRoot"],
      [{ userTemplatePath: "../../.env" }, "userTemplatePath"],
      [{ templates: "/srv" }, "templates"],
      [{ providersFile: "/tmp/providers.json" }, "providersFile"],
      [{ variants: ["../../.env"] }, "variants"],
      [{ classifiers: ["/etc/passwd"] }, "classifier"],
      [{ setting: "../helpful-only" }, "setting"],
      [{ somethingNew: true }, "somethingNew"],
    ];
    for (const [fields, field] of cases) {
      const body = { model: "sim/opus-like", ...fields };
      for (const headers of [{}, auth]) {
        const response = await app.request("/api/runs", post(body, headers));
        if (headers === auth) {
          expect(response.status, JSON.stringify(body)).toBe(400);
          const error = await json(response);
          expect(error.code).toBe("BAD_REQUEST");
          expect(error.message, JSON.stringify(body)).toContain(field);
          expect(error.message).not.toContain("root:");
        } else {
          expect(response.status).toBe(401);
        }
      }
    }
    expect((await store.listRuns()).total).toBe(1);
  });

  it("cannot read one through the classify or delete routes either", async () => {
    const app = buildApp(appOptions()).app;
    for (const body of [
      { classifiers: ["../../.env"] },
      { promptFile: "/etc/passwd" },
      { labelsFile: "x" },
    ]) {
      const response = await app.request("/api/runs/run-a/classify", post(body));
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    const deleted = await app.request("/api/runs/run-a?path=/etc/passwd", {
      method: "DELETE",
      headers: auth,
    });
    expect(deleted.status).toBe(400);
    expect(await store.getRun("run-a")).toBeDefined();
  });
});

describe("every route, played by an attacker", () => {
  const reads = [
    "/api/health",
    "/api/runs",
    `/api/runs?q=${encodeURIComponent("http://127.0.0.1:1/")}`,
    "/api/runs/run-a",
    "/api/runs/..%2F..%2Fetc%2Fpasswd",
    "/api/runs/run-a/samples",
    `/api/runs/run-a/samples?q=${encodeURIComponent("file:///etc/passwd")}`,
    "/api/runs/run-a/samples/..%2F..%2F.env",
    "/api/compare?a=run-a&b=run-a",
    `/api/compare?a=${encodeURIComponent("http://127.0.0.1:1/")}&b=run-a`,
    "/api/runs/run-a/events",
    "/api/labels",
    "/..%2f..%2f.env",
  ];
  const writes: Array<[string, string, string?]> = [
    ["POST", "/api/runs", JSON.stringify({ model: "anthropic/x", baseUrl: "http://127.0.0.1:1" })],
    ["POST", "/api/runs/run-a/classify", JSON.stringify({ judge: "openai/gpt-4o" })],
    ["DELETE", "/api/runs/run-a"],
    ["PUT", "/api/runs/run-a", "{}"],
    ["PATCH", "/api/runs/run-a", "{}"],
    ["POST", "/api/runs/run-a", "{}"],
  ];

  it("never answers 5xx, always with a JSON {code,message} error, and never with a key", async () => {
    for (const configured of [undefined, token]) {
      const app = buildApp(appOptions({ token: configured, pollIntervalMs: 5 })).app;
      for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Bearer ${token}` }]) {
        for (const path of reads) {
          const response = await app.request(path, { headers });
          const text = await response.text();
          expect(response.status, path).toBeLessThan(500);
          for (const key of Object.values(keys)) expect(text, path).not.toContain(key);
          if (response.status >= 400) {
            expect(Object.keys(JSON.parse(text)), path).toEqual(["code", "message"]);
          }
        }
        for (const [method, path, body] of writes) {
          const response = await app.request(path, { method, headers, ...(body ? { body } : {}) });
          const what = `${method} ${path} token=${configured ?? "none"} ${JSON.stringify(headers)}`;
          expect(response.status, what).toBeLessThan(500);
          if (response.status >= 400) {
            const error = await json(response);
            expect(Object.keys(error), what).toEqual(["code", "message"]);
            if (!configured && path !== "/api/runs/run-a") expect(error.code, what).toBe("FORBIDDEN");
          }
        }
      }
    }
    expect(await store.getRun("run-a")).toBeDefined();
  });

  it("compares the token exactly: near misses and other schemes are 401", async () => {
    const app = buildApp(appOptions()).app;
    for (const authorization of [
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer ${token.toUpperCase()}`,
      `Basic ${Buffer.from(`user:${token}`).toString("base64")}`,
      `Bearer${token}`,
      `Bearer ${token} ${token}`,
      token,
      "Bearer ",
      "Bearer \u00e9\u00e9\u00e9",
    ]) {
      const response = await app.request("/api/runs/run-a", { method: "DELETE", headers: { authorization } });
      expect(response.status, authorization).toBe(401);
      expect(await json(response)).toEqual({ code: "UNAUTHORIZED", message: expect.any(String) });
    }
    const lower = await app.request("/api/runs/run-a", {
      method: "DELETE",
      headers: { authorization: `bearer ${token}` },
    });
    expect(lower.status).toBe(200);
  });

  it("refuses at start-up a token a bearer header cannot carry, and base URLs that are not URLs", async () => {
    expect(() => buildApp({ store, token: "has spaces in it" })).toThrow(/AFLAB_API_TOKEN/);
    expect(() => buildApp({ store, token, allowedBaseUrls: ["not a url"] })).toThrow(/--allow-base-url/);
    expect(() => buildApp({ store, token, allowedBaseUrls: ["http://user:pw@host/v1"] })).toThrow(
      /--allow-base-url/,
    );
  });
});

describe("bounded bodies", () => {
  it("are refused with 413 over the limit, before the token-less are even read", async () => {
    const app = buildApp(appOptions({ maxBodyBytes: 1024 })).app;
    const big = JSON.stringify({ model: "sim/opus-like", label: "x".repeat(2000) });
    for (const [method, path] of [
      ["POST", "/api/runs"],
      ["POST", "/api/runs/run-a/classify"],
      ["DELETE", "/api/runs/run-a"],
    ] as const) {
      const response = await app.request(path, { method, headers: auth, body: big });
      expect(response.status, path).toBe(413);
      expect(await json(response)).toEqual({
        code: "PAYLOAD_TOO_LARGE",
        message: "request body: expected at most 1024 bytes",
      });
      const stranger = await app.request(path, { method, body: big });
      expect(stranger.status, path).toBe(401);
    }
    const declared = await app.request("/api/runs", {
      method: "POST",
      headers: { ...auth, "content-length": String(10 * 1024 ** 3) },
      body: "{}",
    });
    expect(declared.status).toBe(413);
    expect(await store.getRun("run-a")).toBeDefined();
    expect((await store.listRuns()).total).toBe(1);
  });

  /**
   * Sends a request whose body never ends and resolves with the response, the bytes sent by the time it
   * arrived, and whether the request body had been finished (it never is).
   */
  function sendEndless(
    port: number,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string; sentBeforeAnswer: number; finished: boolean }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let finished = false;
      let writing: NodeJS.Timeout | undefined;
      const outgoing = httpRequest(
        { host: "127.0.0.1", port, path: "/api/runs", method: "POST", headers },
        (response) => {
          const sentBeforeAnswer = sent;
          clearInterval(writing);
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            body += chunk;
          });
          response.on("end", () => {
            resolve({ status: response.statusCode ?? 0, body, sentBeforeAnswer, finished });
            outgoing.destroy();
          });
        },
      );
      outgoing.on("error", (error) => {
        clearInterval(writing);
        // The server may close the socket after answering; only an error before the answer matters.
        if (!outgoing.destroyed) reject(error);
      });
      outgoing.flushHeaders();
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      writing = setInterval(() => {
        if (outgoing.destroyed || outgoing.writableEnded) return;
        outgoing.write(chunk);
        sent += chunk.length;
        // A safety stop for the test itself: the server must have answered long before this.
        if (sent > 256 * 1024 * 1024) {
          finished = true;
          clearInterval(writing);
          outgoing.end();
        }
      }, 1);
    });
  }

  it("over a socket, a body that never ends and a huge Content-Length are answered 413 while still being sent", async () => {
    const server = await startServer({ ...appOptions({ maxBodyBytes: 64 * 1024 }), port: 0, token });
    try {
      const endless = await sendEndless(server.port, { ...auth, "transfer-encoding": "chunked" });
      expect(endless.status).toBe(413);
      expect(JSON.parse(endless.body)).toEqual({
        code: "PAYLOAD_TOO_LARGE",
        message: "request body: expected at most 65536 bytes",
      });
      expect(endless.finished).toBe(false);
      expect(endless.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);

      const declared = await sendEndless(server.port, { ...auth, "content-length": String(64 * 1024 ** 3) });
      expect(declared.status).toBe(413);
      expect(declared.finished).toBe(false);
      // Answered on the header alone: far less than the declared 64 GiB had been sent.
      expect(declared.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);

      // The server is still fine afterwards.
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("runs started per client", () => {
  it("are limited in flight and per minute, with 429 and retry-after", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inner = createClientFactory({ env: environment });
    const { app, jobs } = buildApp(
      appOptions({
        jobStartLimits: { inFlight: 1, perMinute: 2 },
        createClient: (modelId, role, config) => {
          const client = inner(modelId, role, config);
          return {
            ...client,
            generate: async (generateRequest) => {
              await gate;
              return client.generate(generateRequest);
            },
          };
        },
      }),
    );
    const body = { model: "sim/opus-like", dataset: { source: "builtin:harmful", limit: 1 } };
    const first = await app.request("/api/runs", post(body));
    expect(first.status).toBe(202);
    const busy = await app.request("/api/runs", post(body));
    expect(busy.status).toBe(429);
    expect(busy.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await json(busy)).code).toBe("TOO_MANY_REQUESTS");
    // A refused request does not count against the client.
    const invalid = await app.request("/api/runs", post({ model: "sim/opus-like", tiers: [] }));
    expect(invalid.status).toBe(400);
    release();
    await jobs.settled((await json(first)).id);
    const second = await app.request("/api/runs", post(body));
    expect(second.status).toBe(202);
    await jobs.settled((await json(second)).id);
    const third = await app.request("/api/runs", post(body));
    expect(third.status).toBe(429);
    const wait = Number(third.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect((await json(third)).message).toContain("last minute");
    expect((await store.listRuns()).total).toBe(3);
  });
});
