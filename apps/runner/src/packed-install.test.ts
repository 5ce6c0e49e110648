import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDirectory } from "./test-support.js";

/**
 * What a user gets from the registry: every published package packed as `pnpm pack` would publish it,
 * installed with npm into an empty folder, then the CLI's demo and a type-checked consumer. Third-party
 * dependencies come from the npm registry, as they would for the user.
 */

const repository = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const published = [
  "packages/core",
  "packages/prompts",
  "packages/clients",
  "packages/classifiers",
  "packages/store",
  "packages/engine",
  "packages/formats",
  "packages/synthdocs",
  "apps/api",
  "apps/runner",
];
const [major = 0] = process.versions.node.split(".").map(Number);

function files(directory: string, match: (name: string) => boolean, found: string[] = []): string[] {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) files(full, match, found);
    else if (match(entry.name)) found.push(full);
  }
  return found;
}

/**
 * This process's environment without what the workspace's tools add (pnpm's shims set NODE_PATH to the
 * workspace's packages, which would let the installed CLI find modules a user would not have).
 */
const userEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(NODE_PATH|npm_|PNPM_|pnpm_|VITEST|TURBO_)/i.test(name)),
);

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...userEnvironment, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("the packed packages, installed with npm into an empty folder", { timeout: 300_000 }, () => {
  let scratch: string;
  let app: string;
  let tarballs: string[];
  let installLog: string;

  beforeAll(() => {
    scratch = scratchDirectory("aflab-packed-");
    const packed = path.join(scratch, "tarballs");
    tarballs = published.map((directory) => {
      const name = execFileSync("pnpm", ["pack", "--pack-destination", packed], {
        cwd: path.join(repository, directory),
        encoding: "utf8",
      })
        .trim()
        .split("\n")
        .at(-1) as string;
      return path.resolve(packed, path.basename(name));
    });
    app = path.join(scratch, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ private: true, type: "module" }));
    const install = run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--foreground-scripts", ...tarballs, "@types/node@^20.19"],
      app,
    );
    installLog = install.output;
    expect(install.code, installLog).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("packs dependencies as ranges, with a license, repository, engines and files", () => {
    for (const tarball of tarballs) {
      const manifest = JSON.parse(
        execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }),
      ) as Record<string, unknown>;
      const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" });
      expect(listing, tarball).toContain("package/LICENSE");
      expect(listing, tarball).not.toMatch(/\.test\.|tsbuildinfo|\/src\//);
      expect(manifest.engines, tarball).toEqual({ node: ">=20.19" });
      expect(manifest.repository, tarball).toBeDefined();
      expect(manifest.files, tarball).toBeDefined();
      for (const [name, range] of Object.entries((manifest.dependencies ?? {}) as Record<string, string>)) {
        expect(range, `${tarball}: ${name}`).toMatch(/^\^\d/);
      }
    }
  });

  it("compiles nothing: no native build ran and no native addon was installed", () => {
    expect(installLog).not.toMatch(/gyp|prebuild-install/i);
    expect(files(path.join(app, "node_modules"), (name) => name.endsWith(".node"))).toEqual([]);
    expect(fs.existsSync(path.join(app, "node_modules/better-sqlite3"))).toBe(false);
  });

  it("runs the demo from the installed CLI, with the viewer carried in the package", () => {
    if (major < 22) {
      // Node 20 has no built-in SQLite: the CLI says what to install, then works once better-sqlite3 is there.
      const without = run("npx", ["--no-install", "aflab", "demo", "--quiet", "--epochs", "1"], app);
      expect(without.code, without.output).toBe(2);
      expect(without.output).toContain("npm install better-sqlite3");
      expect(without.output).not.toMatch(/\n\s+at /);
      // The workspace's build of it, linked (an npm install of the folder would rebuild it in place).
      const built = fs.realpathSync(path.join(repository, "packages/store/node_modules/better-sqlite3"));
      fs.symlinkSync(built, path.join(app, "node_modules/better-sqlite3"), "dir");
    }
    const demo = run("npx", ["--no-install", "aflab", "demo", "--quiet", "--epochs", "1"], app);
    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toMatch(/compliance gap \(free − paid\)/);
    // Its closing hints name the installed command, not the workspace's script.
    expect(demo.output).toContain("  aflab serve");
    expect(demo.output).not.toContain("pnpm aflab");
    expect(fs.existsSync(path.join(app, ".aflab/aflab.db"))).toBe(true);
    expect(fs.existsSync(path.join(app, "node_modules/@aflab/cli/dist/viewer/index.html"))).toBe(true);
  });

  it("type-checks a consumer of every library with skipLibCheck off", () => {
    fs.writeFileSync(
      path.join(app, "consumer.ts"),
      [
        'import { startServer } from "@aflab/api";',
        'import { classifyByTags } from "@aflab/classifiers";',
        'import type { ProvidersConfig } from "@aflab/clients";',
        'import { runSchema } from "@aflab/core";',
        'import { classifyRun } from "@aflab/engine";',
        'import * as formats from "@aflab/formats";',
        'import * as prompts from "@aflab/prompts";',
        'import { openStore, type Store } from "@aflab/store";',
        'import * as synthdocs from "@aflab/synthdocs";',
        "",
        'const store: Store = openStore(":memory:");',
        "const providers: ProvidersConfig | undefined = undefined;",
        "export const used = [startServer, classifyByTags, runSchema, classifyRun, formats, prompts, synthdocs, store, providers];",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["consumer.ts"],
      }),
    );
    const check = run(path.join(repository, "node_modules/.bin/tsc"), ["-p", app], app);
    expect(check.code, check.output).toBe(0);
  });
});
