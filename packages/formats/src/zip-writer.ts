import { once } from "node:events";
import type { Writable } from "node:stream";
import zlib from "node:zlib";

/**
 * A zip written entry by entry to a stream, for Inspect's `.eval` logs. Each entry is deflated whole
 * before it is written, so its local header carries its real sizes: Inspect's log viewer reads an entry's
 * compressed size from the local header, which rules out the data descriptors that streaming zip writers
 * (zip-stream/archiver, fflate) use; yazl writes sizes but rescans and keeps every entry, which a
 * 100,000-sample log cannot afford. Only the central directory (a few dozen bytes per entry) is kept
 * until the end. ZIP64 records are added when a log has more than 65,535 entries or passes 4 GiB.
 */
export class ZipWriter {
  private offset = 0;
  private entries = 0;
  /** The central directory, packed into chunks as entries are added (a few dozen bytes each). */
  private readonly central = new PackedBuffers(1 << 20);
  /**
   * Entries not yet written, gathered in one buffer that is reused once the file has taken it: the export
   * pauses for the disk rarely, and a long log does not leave a trail of dead buffers for the collector.
   */
  private pending = Buffer.allocUnsafe(1 << 20);
  private pendingLength = 0;

  constructor(
    private readonly stream: Writable,
    private readonly level = 6,
  ) {}

  /**
   * Adds one file given as a sequence of text chunks, deflated as they come: only the compressed bytes are
   * held (its sizes must be known before its local header is written).
   */
  async addChunks(name: string, chunks: Iterable<string>): Promise<void> {
    const entry = this.open(name);
    for (const chunk of chunks) await entry.write(chunk);
    await entry.close();
  }

  /**
   * Starts a file whose text is written over time, e.g. while other entries are added; it is added to the
   * zip when closed. Text is deflated as it is written, so what waits is its compressed bytes, not the text.
   */
  open(name: string): { write(text: string): Promise<void>; close(): Promise<void> } {
    const deflate = zlib.createDeflateRaw({ level: this.level });
    const compressed: Buffer[] = [];
    deflate.on("data", (chunk: Buffer) => compressed.push(chunk));
    const ended = once(deflate, "end");
    let crc = 0;
    let size = 0;
    return {
      write: async (text) => {
        const bytes = Buffer.from(text, "utf8");
        crc = zlib.crc32(bytes, crc);
        size += bytes.length;
        if (!deflate.write(bytes)) await once(deflate, "drain");
      },
      close: async () => {
        deflate.end();
        await ended;
        await this.addDeflated(name, Buffer.concat(compressed), crc, size);
      },
    };
  }

  /** Adds one file. An entry must be under 4 GiB (a log's entries are a sample or a chunk each). */
  async add(name: string, content: string | Buffer): Promise<void> {
    const data = typeof content === "string" ? this.encode(content) : content;
    const compressed = zlib.deflateRawSync(data, { level: this.level });
    await this.addDeflated(name, compressed, zlib.crc32(data), data.length);
  }

  private async addDeflated(name: string, compressed: Buffer, crc: number, size: number): Promise<void> {
    if (size >= maxUint32 || compressed.length >= maxUint32)
      throw new Error(`zip entry ${name} is over 4 GiB`);
    const nameBytes = Buffer.from(name, "utf8");
    this.central.push(centralRecord(nameBytes, crc, compressed.length, size, this.offset));
    this.entries++;
    const headerLength = 30 + nameBytes.length;
    if (this.pendingLength + headerLength + compressed.length > this.pending.length) await this.flush();
    const local = this.pending.subarray(this.pendingLength);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(versionNeeded, 4);
    local.writeUInt16LE(utf8Names, 6);
    local.writeUInt16LE(deflated, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    nameBytes.copy(local, 30);
    this.pendingLength += headerLength;
    if (this.pendingLength + compressed.length > this.pending.length) {
      // Larger than the buffer: written as it is.
      await this.flush();
      await this.write(compressed);
    } else {
      compressed.copy(this.pending, this.pendingLength);
      this.pendingLength += compressed.length;
    }
    this.offset += headerLength + compressed.length;
  }

  /** Writes the central directory and the end records; the stream is left open for the caller to end. */
  async finish(): Promise<void> {
    await this.flush();
    const directoryOffset = this.offset;
    for (const chunk of this.central.take()) await this.writeCounted(chunk);
    const directorySize = this.offset - directoryOffset;
    const zip64 = this.entries > 0xffff || directoryOffset >= maxUint32 || directorySize >= maxUint32;
    if (zip64) {
      const end64Offset = this.offset;
      const end64 = Buffer.alloc(56);
      end64.writeUInt32LE(0x06064b50, 0);
      end64.writeBigUInt64LE(44n, 4);
      end64.writeUInt16LE(versionNeeded, 12);
      end64.writeUInt16LE(versionNeeded, 14);
      end64.writeBigUInt64LE(BigInt(this.entries), 24);
      end64.writeBigUInt64LE(BigInt(this.entries), 32);
      end64.writeBigUInt64LE(BigInt(directorySize), 40);
      end64.writeBigUInt64LE(BigInt(directoryOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(end64Offset), 8);
      locator.writeUInt32LE(1, 16);
      await this.writeCounted(end64);
      await this.writeCounted(locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(this.entries, 0xffff), 8);
    end.writeUInt16LE(Math.min(this.entries, 0xffff), 10);
    end.writeUInt32LE(Math.min(directorySize, maxUint32), 12);
    end.writeUInt32LE(Math.min(directoryOffset, maxUint32), 16);
    await this.writeCounted(end);
  }

  /** A reused buffer for encoding text: a fresh buffer per entry would churn native memory. */
  private scratch = Buffer.allocUnsafe(1 << 16);

  private encode(text: string): Buffer {
    const length = Buffer.byteLength(text, "utf8");
    if (length > this.scratch.length)
      this.scratch = Buffer.allocUnsafe(Math.max(length, this.scratch.length * 2));
    this.scratch.write(text, 0, "utf8");
    return this.scratch.subarray(0, length);
  }

  /** Writes the gathered entries and waits until the file has them, so the buffer can be reused. */
  private async flush(): Promise<void> {
    if (this.pendingLength === 0) return;
    const bytes = this.pending.subarray(0, this.pendingLength);
    await new Promise<void>((resolve, reject) => {
      this.stream.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
    this.pendingLength = 0;
  }

  /** Writes bytes past the gathered entries (the offset of entry data is counted by `add`). */
  private async write(bytes: Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Writes end records, counting them into the offset. */
  private async writeCounted(bytes: Buffer): Promise<void> {
    this.offset += bytes.length;
    await this.write(bytes);
  }
}

/** Small buffers copied into large chunks: a hundred thousand tiny buffers would cost more than their bytes. */
class PackedBuffers {
  private chunks: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  size = 0;

  constructor(private readonly chunkSize: number) {}

  push(bytes: Buffer): void {
    this.size += bytes.length;
    if (bytes.length > this.chunkSize) {
      this.seal();
      this.chunks.push(bytes);
      return;
    }
    if (!this.current || this.used + bytes.length > this.current.length) {
      this.seal();
      this.current = Buffer.allocUnsafe(this.chunkSize);
    }
    bytes.copy(this.current, this.used);
    this.used += bytes.length;
  }

  /** The bytes pushed so far, in order; empties the list. */
  take(): Buffer[] {
    this.seal();
    const chunks = this.chunks;
    this.chunks = [];
    this.size = 0;
    return chunks;
  }

  private seal(): void {
    if (this.current && this.used > 0) this.chunks.push(this.current.subarray(0, this.used));
    this.current = null;
    this.used = 0;
  }
}

const maxUint32 = 0xffffffff;
/** 4.5: ZIP64 extensions (readers accept it for every entry; the end records may need it). */
const versionNeeded = 45;
/** General purpose flag bit 11: names are UTF-8. */
const utf8Names = 0x0800;
const deflated = 8;
/** Every entry is dated 2000-01-01 00:00, so the same run exports to the same bytes. */
const dosTime = 0;
const dosDate = ((2000 - 1980) << 9) | (1 << 5) | 1;

function centralRecord(name: Buffer, crc: number, compressed: number, size: number, offset: number): Buffer {
  const offsetOverflows = offset >= maxUint32;
  // ZIP64 extra field: only the local header offset can overflow (entries are under 4 GiB).
  const extra = offsetOverflows ? Buffer.alloc(12) : Buffer.alloc(0);
  if (offsetOverflows) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(offset), 4);
  }
  const record = Buffer.alloc(46 + name.length + extra.length);
  record.writeUInt32LE(0x02014b50, 0);
  record.writeUInt16LE(versionNeeded, 4);
  record.writeUInt16LE(versionNeeded, 6);
  record.writeUInt16LE(utf8Names, 8);
  record.writeUInt16LE(deflated, 10);
  record.writeUInt16LE(dosTime, 12);
  record.writeUInt16LE(dosDate, 14);
  record.writeUInt32LE(crc, 16);
  record.writeUInt32LE(compressed, 20);
  record.writeUInt32LE(size, 24);
  record.writeUInt16LE(name.length, 28);
  record.writeUInt16LE(extra.length, 30);
  record.writeUInt32LE(offsetOverflows ? maxUint32 : offset, 42);
  name.copy(record, 46);
  extra.copy(record, 46 + name.length);
  return record;
}
