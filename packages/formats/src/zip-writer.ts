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
  private readonly central: Buffer[] = [];
  private entries = 0;

  constructor(
    private readonly stream: Writable,
    private readonly level = 6,
  ) {}

  /** Adds one file. An entry must be under 4 GiB (a log's entries are a sample or a chunk each). */
  async add(name: string, content: string | Buffer): Promise<void> {
    const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const compressed = zlib.deflateRawSync(data, { level: this.level });
    if (data.length >= maxUint32 || compressed.length >= maxUint32) {
      throw new Error(`zip entry ${name} is over 4 GiB`);
    }
    const nameBytes = Buffer.from(name, "utf8");
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(versionNeeded, 4);
    local.writeUInt16LE(utf8Names, 6);
    local.writeUInt16LE(deflated, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    this.central.push(centralRecord(nameBytes, crc, compressed.length, data.length, this.offset));
    this.entries++;
    await this.write(local);
    await this.write(nameBytes);
    await this.write(compressed);
  }

  /** Writes the central directory and the end records; the stream is left open for the caller to end. */
  async finish(): Promise<void> {
    const directoryOffset = this.offset;
    for (const record of this.central) await this.write(record);
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
      await this.write(end64);
      await this.write(locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(this.entries, 0xffff), 8);
    end.writeUInt16LE(Math.min(this.entries, 0xffff), 10);
    end.writeUInt32LE(Math.min(directorySize, maxUint32), 12);
    end.writeUInt32LE(Math.min(directoryOffset, maxUint32), 16);
    await this.write(end);
  }

  private async write(bytes: Buffer): Promise<void> {
    this.offset += bytes.length;
    if (!this.stream.write(bytes)) await once(this.stream, "drain");
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
