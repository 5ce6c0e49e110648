import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { animalWelfareQueries, harmfulQueries } from "../queries/index.js";
import { ADVBENCH_URL, defaultCacheDir, loadDataset } from "./load-dataset.js";

let directory = "";
let server: Server;
let baseUrl = "";
const requests: string[] = [];
const smallAdvbench =
  'goal,target\nFirst goal,"Sure, first"\nSecond goal,"Sure, second"\nThird goal,"Sure, third"\n';

async function write(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text, "utf8");
  return path;
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error("expected an InputError");
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "datasets-"));
  server = createServer((request, response) => {
    requests.push(request.url ?? "");
    if (request.url === "/advbench.csv") {
      response.writeHead(200, { "content-type": "text/csv" });
      response.end(smallAdvbench);
    } else if (request.url === "/portal.html") {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<html><body>Sign in to continue</body></html>");
    } else {
      response.writeHead(404, "Not Found");
      response.end("missing");
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  await rm(directory, { recursive: true, force: true });
});

describe("loadDataset: built-in query sets", () => {
  for (const [source, queries, name] of [
    ["builtin:harmful", harmfulQueries, "harmful"],
    ["builtin:animal-welfare", animalWelfareQueries, "animal-welfare"],
  ] as const) {
    it(`${source} mirrors its query set`, async () => {
      if (queries.length === 0) {
        expect(await messageOf(loadDataset({ source }))).toBe(`dataset ${source} is empty`);
        return;
      }
      const items = await loadDataset({ source });
      expect(items.map((item) => item.query)).toEqual(queries.map((query) => query.trim()));
      expect(items.map((item) => item.id)).toEqual(queries.map((_query, index) => `${name}:${index + 1}`));
      expect(items.every((item) => item.source === source && item.line === undefined)).toBe(true);
      expect(await loadDataset({ source, limit: 1 })).toEqual(items.slice(0, 1));
    });
  }

  it("rejects an unknown built-in name", async () => {
    expect(await messageOf(loadDataset({ source: "builtin:nope" }))).toContain(
      'unknown dataset "builtin:nope": expected builtin:harmful, builtin:animal-welfare, builtin:anti-ai-lab, advbench',
    );
  });
});

describe("loadDataset: files", () => {
  it("loads CSV, JSONL and JSON with stable ids named after the file", async () => {
    const csv = await write("goals.csv", "goal,target\nq1,t\nq2,t\nq3,t\n");
    const jsonl = await write("prompts.jsonl", '{"prompt":"q1"}\n"q2"\n');
    const json = await write("list.JSON", '["q1", {"text": "q2"}]');
    expect(await loadDataset({ source: csv })).toEqual([
      { id: "goals:1", query: "q1", line: 2, source: csv },
      { id: "goals:2", query: "q2", line: 3, source: csv },
      { id: "goals:3", query: "q3", line: 4, source: csv },
    ]);
    expect((await loadDataset({ source: jsonl })).map((item) => [item.id, item.query, item.line])).toEqual([
      ["prompts:1", "q1", 1],
      ["prompts:2", "q2", 2],
    ]);
    expect((await loadDataset({ source: json })).map((item) => item.id)).toEqual(["list:1", "list:2"]);
    // Ids do not move when a limit is applied, so resume keys match across runs.
    expect(await loadDataset({ source: csv, limit: 2 })).toEqual(
      (await loadDataset({ source: csv })).slice(0, 2),
    );
    // All of it is fine; one past the end is refused rather than quietly running fewer items.
    expect(await loadDataset({ source: csv, limit: 3 })).toHaveLength(3);
    expect(await messageOf(loadDataset({ source: csv, limit: 4 }))).toBe(
      `dataset ${csv} has 3 items: limit 4 is beyond its size (use 3 or less)`,
    );
  });

  it("uses the column option", async () => {
    const csv = await write("two-columns.csv", "goal,target\nq1,t1\n");
    expect((await loadDataset({ source: csv, column: "target" }))[0]?.query).toBe("t1");
    expect(await messageOf(loadDataset({ source: csv, column: "nope" }))).toBe(
      `${csv}: column "nope" not found; columns are: goal, target`,
    );
  });

  it("names a missing file", async () => {
    const path = join(directory, "absent.csv");
    expect(await messageOf(loadDataset({ source: path }))).toBe(`dataset ${path}: file not found`);
  });

  it("names the accepted extensions", async () => {
    const path = await write("queries.txt", "hello\n");
    expect(await messageOf(loadDataset({ source: path }))).toBe(
      `unsupported dataset file extension ".txt" (${path}): expected builtin:harmful, builtin:animal-welfare, builtin:anti-ai-lab, advbench, or a path to a .csv, .jsonl or .json file`,
    );
    expect(await messageOf(loadDataset({ source: "advbnech" }))).toMatch(
      /^unknown dataset "advbnech": expected /,
    );
  });

  it("reports empty files, bad rows and invalid JSON lines", async () => {
    const empty = await write("empty.jsonl", "\n");
    const bad = await write("bad.csv", "goal\nfine\n \nfine\n\n\n");
    const invalid = await write("invalid.jsonl", '"a"\n{\n"b"\n');
    expect(await messageOf(loadDataset({ source: empty }))).toBe(`${empty}: the dataset has no rows`);
    expect(await messageOf(loadDataset({ source: bad }))).toBe(`${bad}: bad rows: line 3: empty "goal"`);
    expect(await messageOf(loadDataset({ source: invalid }))).toBe(`${invalid}: invalid JSON on line 2`);
  });

  it("validates the spec", async () => {
    expect(await messageOf(loadDataset({ source: "x.csv", limit: 0 }))).toBe(
      "invalid dataset: limit: expected a positive whole number",
    );
  });
});

describe("loadDataset: advbench download", () => {
  it("downloads once, caches atomically, then reads the cache", async () => {
    const cacheDir = await mkdtemp(join(directory, "cache-"));
    const url = `${baseUrl}/advbench.csv`;
    const before = requests.length;
    const first = await loadDataset({ source: "advbench", limit: 2 }, { cacheDir, advbenchUrl: url });
    const second = await loadDataset({ source: "advbench" }, { cacheDir, advbenchUrl: url });
    expect(requests.length - before).toBe(1);
    expect(first).toEqual([
      { id: "advbench:1", query: "First goal", line: 2, source: "advbench" },
      { id: "advbench:2", query: "Second goal", line: 3, source: "advbench" },
    ]);
    expect(second.map((item) => item.query)).toEqual(["First goal", "Second goal", "Third goal"]);
    const files = await readdir(join(cacheDir, "datasets"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^advbench-[0-9a-f]{12}\.csv$/);
    expect(await readFile(join(cacheDir, "datasets", files[0] ?? ""), "utf8")).toBe(smallAdvbench);
  });

  it("uses an injected fetch and the default URL's cache name", async () => {
    const cacheDir = await mkdtemp(join(directory, "cache-"));
    const seen: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response(smallAdvbench, { status: 200 });
    }) as typeof fetch;
    const items = await loadDataset({ source: "advbench" }, { cacheDir, fetch: fakeFetch });
    expect(seen).toEqual([ADVBENCH_URL]);
    expect(items).toHaveLength(3);
    expect(await readdir(join(cacheDir, "datasets"))).toEqual(["advbench-harmful-behaviors.csv"]);
  });

  it("explains a failed download and caches nothing", async () => {
    const cacheDir = await mkdtemp(join(directory, "cache-"));
    const url = `${baseUrl}/gone.csv`;
    expect(await messageOf(loadDataset({ source: "advbench" }, { cacheDir, advbenchUrl: url }))).toBe(
      `could not download AdvBench from ${url}: HTTP 404 Not Found; download it yourself and pass --dataset PATH to the .csv file`,
    );
    const refused = "http://127.0.0.1:1/advbench.csv";
    expect(await messageOf(loadDataset({ source: "advbench" }, { cacheDir, advbenchUrl: refused }))).toMatch(
      /^could not download AdvBench from http:\/\/127\.0\.0\.1:1\/advbench\.csv: .+; download it yourself and pass --dataset PATH/,
    );
    expect(existsSync(join(cacheDir, "datasets"))).toBe(false);
  });

  it("does not cache a download that is not the dataset", async () => {
    const cacheDir = await mkdtemp(join(directory, "cache-"));
    const url = `${baseUrl}/portal.html`;
    expect(await messageOf(loadDataset({ source: "advbench" }, { cacheDir, advbenchUrl: url }))).toContain(
      `AdvBench download from ${url}: the dataset has no rows`,
    );
    expect(existsSync(join(cacheDir, "datasets"))).toBe(false);
  });

  it("reads a cached copy without any network", async () => {
    const cacheDir = await mkdtemp(join(directory, "cache-"));
    await mkdir(join(cacheDir, "datasets"));
    await writeFile(
      join(cacheDir, "datasets", "advbench-harmful-behaviors.csv"),
      "goal,target\nCached goal,x\n",
    );
    const failingFetch = (async () => {
      throw new Error("no network in this test");
    }) as typeof fetch;
    const items = await loadDataset({ source: "advbench" }, { cacheDir, fetch: failingFetch });
    expect(items.map((item) => item.query)).toEqual(["Cached goal"]);
  });

  it("defaults the cache to $XDG_CACHE_HOME/aflab when absolute", () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = "/somewhere/cache";
      expect(defaultCacheDir()).toBe("/somewhere/cache/aflab");
      process.env.XDG_CACHE_HOME = "relative/cache";
      expect(defaultCacheDir()).toMatch(/\.cache\/aflab$/);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const sharedAdvbench = resolve(repoRoot, "../shared/datasets/advbench_harmful_behaviors.csv");

describe("loadDataset: the real AdvBench file", () => {
  it.skipIf(!existsSync(sharedAdvbench))(
    "reads all 520 goals (skipped when no local copy of AdvBench exists)",
    async () => {
      const items = await loadDataset({ source: sharedAdvbench });
      expect(items).toHaveLength(520);
      // Independent check: the first data line is `goal,"target"` with an unquoted goal.
      const firstLine = readFileSync(sharedAdvbench, "utf8").split("\n")[1] ?? "";
      expect(items[0]?.query).toBe(firstLine.slice(0, firstLine.indexOf(',"')));
      expect(items[519]?.id).toBe("advbench_harmful_behaviors:520");
      expect(new Set(items.map((item) => item.id)).size).toBe(520);
    },
  );
});

describe("dataset files that would block", () => {
  it("refuses a named pipe at once instead of waiting for a writer", async () => {
    const fifo = join(directory, "pipe.jsonl");
    execFileSync("mkfifo", [fifo]);
    const started = Date.now();
    expect(await messageOf(loadDataset({ source: fifo }))).toBe(
      `dataset ${fifo}: is a named pipe (FIFO), not a regular file`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("stops reading when cancelled", async () => {
    const path = await write("cancelled.jsonl", '{"prompt":"one"}\n');
    const controller = new AbortController();
    controller.abort();
    await expect(loadDataset({ source: path }, { signal: controller.signal })).rejects.toMatchObject({
      code: "aborted",
      message: "cancelled while reading the dataset",
    });
    // The same file loads when nothing cancels it.
    expect(await loadDataset({ source: path })).toHaveLength(1);
  });
});
