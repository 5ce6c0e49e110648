import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cleanEnvironment, killHard, openRaw, scratchDirectory } from "./test-support.js";

const fixture = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "__fixtures__",
  "report-stored-run.mjs",
);

interface ReportedEvent {
  type: "generation-end" | "judge-end" | "sample-end";
  key: string;
  status?: string;
  classifier?: string;
  decision?: string | null;
}

describe("a run killed with SIGKILL during group commits", () => {
  it("loses nothing that it reported stored", async () => {
    const directory = scratchDirectory("aflab-group-commit-");
    const db = path.join(directory, "x.db");
    // 45 built-in queries × 2 tiers × 200 epochs = 18,000 samples: far more than get done before the kill.
    const total = 45 * 2 * 200;
    const child = spawn(process.execPath, [fixture, db, "200"], {
      cwd: directory,
      env: cleanEnvironment(directory),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stderr = "";
    let samplesEnded = 0;
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
    // Killed at an arbitrary moment once a few hundred samples are reported: commits go on all the time.
    const killAt = 300 + Math.floor(Math.random() * 700);
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
        samplesEnded += chunk.split('"type":"sample-end"').length - 1;
        if (samplesEnded >= killAt) resolve(killHard(child));
      });
      child.on("exit", (_code, signal) => resolve(signal));
    });
    const signal = await killed;
    await closed;
    expect(signal, stderr).toBe("SIGKILL");

    // Everything the pipe held when the process died: a cut last line was never reported.
    const events = output
      .split("\n")
      .filter((line) => line.endsWith("}"))
      .map((line) => JSON.parse(line) as ReportedEvent);
    const ended = events.filter((event) => event.type === "sample-end");
    expect(ended.length).toBeGreaterThanOrEqual(killAt);
    expect(ended.length).toBeLessThan(total);

    const raw = openRaw(db);
    try {
      const samples = new Map(
        (raw.prepare("SELECT key, status FROM samples").all() as { key: string; status: string }[]).map(
          (row) => [row.key, row.status],
        ),
      );
      const verdicts = new Map(
        (
          raw.prepare("SELECT sample_key AS key, classifier, decision FROM verdicts").all() as {
            key: string;
            classifier: string;
            decision: string | null;
          }[]
        ).map((row) => [`${row.key}|${row.classifier}`, row.decision]),
      );
      const lost: string[] = [];
      for (const event of events) {
        if (event.type === "generation-end" && samples.get(event.key) !== event.status) {
          lost.push(`sample ${event.key} (${event.status})`);
        }
        if (
          event.type === "judge-end" &&
          verdicts.get(`${event.key}|${event.classifier}`) !== event.decision
        ) {
          lost.push(`verdict ${event.classifier} of ${event.key}`);
        }
        if (event.type === "sample-end") {
          if (samples.get(event.key) !== event.status) lost.push(`sample ${event.key} at its end`);
          if (event.status === "complete" && !verdicts.has(`${event.key}|tag-compliance`)) {
            lost.push(`the verdict of ${event.key} at its end`);
          }
        }
      }
      expect(lost).toEqual([]);
      // The check had something to check: every sample reported done is in the store.
      expect(samples.size).toBeGreaterThanOrEqual(ended.length);
    } finally {
      raw.close();
    }
  });
});
