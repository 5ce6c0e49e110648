import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { InputError, issuesOf } from "@aflab/core";
import type { z } from "zod";

/**
 * Append records as JSON lines in a single write, so a run killed between two calls never leaves a
 * record half-written in the middle of the file.
 */
export function appendJsonl(path: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  dropTornTail(path);
  appendFileSync(path, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
}

/**
 * Cut a torn last line (a kill during a write leaves text without its newline). Readers already skip it,
 * but appending after it would glue the next record onto the fragment and turn it into a bad line in the
 * middle of the file. The call the fragment belonged to runs again, so nothing is lost.
 */
function dropTornTail(path: string): void {
  if (!existsSync(path)) return;
  const descriptor = openSync(path, "r+");
  try {
    const size = fstatSync(descriptor).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const length = end - start;
      readSync(descriptor, chunk, 0, length, start);
      const newline = chunk.subarray(0, length).lastIndexOf(0x0a);
      if (newline >= 0) {
        const keep = start + newline + 1;
        if (keep < size) ftruncateSync(descriptor, keep);
        return;
      }
      end = start;
    }
    // No newline at all: the whole file is one torn record.
    if (size > 0) ftruncateSync(descriptor, 0);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Read a JSONL file, validating each line. A missing file is empty. A torn last line (a kill during
 * the write) is skipped because the call it belonged to will simply run again; any other bad line is
 * an InputError naming the file and line.
 */
export function readJsonl<Schema extends z.ZodType>(path: string, schema: Schema): z.output<Schema>[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const records: z.output<Schema>[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const isLast = index === lines.length - 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      if (isLast) return;
      throw new InputError(`${path} line ${index + 1}: not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const detail = issuesOf(result.error)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join("; ");
      throw new InputError(`${path} line ${index + 1}: ${detail}`);
    }
    records.push(result.data);
  });
  return records;
}

/** Write a whole file through a temporary name so readers never see it half-written. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Hex sha256 of a string or buffer. */
export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}
