import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { ZipWriter } from "./zip-writer.js";

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-zip-"));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

async function writeZip(file: string, entries: Iterable<[string, string]>): Promise<void> {
  const output = fs.createWriteStream(file);
  const zip = new ZipWriter(output);
  for (const [name, text] of entries) await zip.add(name, text);
  await zip.finish();
  output.end();
  await once(output, "close");
}

/** The local header's compressed size (offset 18), which Inspect's viewer reads an entry by. */
function localCompressedSizes(bytes: Buffer): number[] {
  const sizes: number[] = [];
  let offset = 0;
  while (bytes.readUInt32LE(offset) === 0x04034b50) {
    const size = bytes.readUInt32LE(offset + 18);
    sizes.push(size);
    offset += 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28) + size;
  }
  return sizes;
}

describe("ZipWriter", () => {
  it("adds a file written over time when it is closed, after the entries added meanwhile", async () => {
    const file = path.join(directory, "open.zip");
    const output = fs.createWriteStream(file);
    const zip = new ZipWriter(output);
    const journal = zip.open("_journal/summaries/1.json");
    const parts: string[] = [];
    for (let index = 0; index < 300; index++) {
      const part = `${index === 0 ? "[" : ","}{"id":"sample-${index}","text":"é ✓ 😀"}`;
      parts.push(part);
      await journal.write(part);
      await zip.add(`samples/${index}.json`, `{"index":${index}}`);
    }
    await journal.write("]");
    await journal.close();
    await zip.finish();
    output.end();
    await once(output, "close");
    const bytes = fs.readFileSync(file);
    const read = unzipSync(bytes);
    const names = Object.keys(read);
    expect(names.length).toBe(301);
    expect(names.at(-1)).toBe("_journal/summaries/1.json");
    const summaries = JSON.parse(strFromU8(read["_journal/summaries/1.json"] ?? new Uint8Array()));
    expect(summaries.length).toBe(300);
    expect(summaries[299]).toEqual({ id: "sample-299", text: "é ✓ 😀" });
    expect(strFromU8(read["_journal/summaries/1.json"] ?? new Uint8Array())).toBe(`${parts.join("")}]`);
    expect(localCompressedSizes(bytes).every((size) => size > 0)).toBe(true);
  });

  it("writes entries another zip reader reads back, sizes in every local header", async () => {
    const file = path.join(directory, "small.zip");
    const entries: [string, string][] = [
      ["header.json", JSON.stringify({ version: 2, text: "é ✓ 😀" })],
      ["samples/a:1-free_epoch_1.json", "x".repeat(100_000)],
      ["empty.json", ""],
    ];
    await writeZip(file, entries);
    const bytes = fs.readFileSync(file);
    const read = unzipSync(bytes);
    expect(Object.keys(read)).toEqual(entries.map(([name]) => name));
    for (const [name, text] of entries) expect(strFromU8(read[name] ?? new Uint8Array())).toBe(text);
    const sizes = localCompressedSizes(bytes);
    expect(sizes).toHaveLength(3);
    expect(sizes.every((size) => size > 0)).toBe(true);
  });

  it("adds the ZIP64 end records past 65,535 entries", async () => {
    const file = path.join(directory, "many.zip");
    const count = 70_000;
    await writeZip(
      file,
      (function* () {
        for (let index = 0; index < count; index++) yield [`samples/${index}.json`, String(index)];
      })(),
    );
    const bytes = fs.readFileSync(file);
    // The classic end record says "see ZIP64" (0xffff); the ZIP64 record has the real count.
    const end = bytes.length - 22;
    expect(bytes.readUInt32LE(end)).toBe(0x06054b50);
    expect(bytes.readUInt16LE(end + 10)).toBe(0xffff);
    const locator = end - 20;
    expect(bytes.readUInt32LE(locator)).toBe(0x07064b50);
    const end64 = Number(bytes.readBigUInt64LE(locator + 8));
    expect(bytes.readUInt32LE(end64)).toBe(0x06064b50);
    expect(Number(bytes.readBigUInt64LE(end64 + 32))).toBe(count);
    const read = unzipSync(bytes);
    expect(Object.keys(read)).toHaveLength(count);
    expect(strFromU8(read["samples/69999.json"] ?? new Uint8Array())).toBe("69999");
  });
});
