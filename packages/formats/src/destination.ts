import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";

/** Where an export goes: a file (written beside it, renamed into place when complete) or an open stream. */
export type ExportDestination = { file: string } | { stream: Writable };

/** The temporary name a file is written under until it is complete. */
export function partialPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
}

/**
 * Runs `write` on the destination. For a file, it writes to a partial file renamed into place at the end,
 * so a failed export leaves nothing behind.
 */
export async function withDestination<T>(
  destination: ExportDestination,
  write: (stream: Writable) => Promise<T>,
): Promise<T> {
  if ("stream" in destination) return write(destination.stream);
  const partial = partialPath(destination.file);
  try {
    const stream = fs.createWriteStream(partial);
    const result = await write(stream);
    stream.end();
    await once(stream, "close");
    fs.renameSync(partial, destination.file);
    return result;
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/** Text gathered and written in chunks, waiting for the stream to drain, so memory stays at one chunk. */
export class ChunkedWriter {
  private buffer = "";

  constructor(
    private readonly stream: Writable,
    private readonly chunkCharacters = 1 << 16,
  ) {}

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= this.chunkCharacters) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const ready = this.stream.write(this.buffer);
    this.buffer = "";
    if (!ready) await once(this.stream, "drain");
  }
}
