/**
 * Spill files: where a writer puts rows it could not write to the database, to replay them later.
 *
 * Format: append-only text, one row per line, `<crc32 as 8 hex digits> <row as JSON>\n`. A line
 * is only valid when it ends with a newline and its checksum matches, so a write torn by a power
 * loss or a SIGKILL shows up as a bad last line. {@linkcode openSpill} cuts such a tail off (with
 * a warning) before anything is appended after it; a bad line in the middle (a flipped bit) is
 * skipped with a warning when read. JSON lines keep a spill file readable with `cut`/`jq` when an
 * operator needs to look into one.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../log.ts";
import { crc32 } from "node:zlib";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Encodes values as spill lines.
 *
 * @param values JSON-serializable values
 * @returns the bytes to append
 * @example
 * ```ts
 * encodeSpillLines([{ a: 1 }]); // bytes of `"<crc> {"a":1}\n"`
 * ```
 */
export function encodeSpillLines(values: readonly unknown[]): Uint8Array {
  let text = "";
  for (const value of values) {
    const json = JSON.stringify(value);
    const crc = crc32(encoder.encode(json)).toString(16).padStart(8, "0");
    text += `${crc} ${json}\n`;
  }
  return encoder.encode(text);
}

/**
 * Decodes one line (without its newline).
 *
 * @param line the bytes of the line
 * @returns the value, or `undefined` when the line is damaged
 */
export function decodeSpillLine(line: Uint8Array): { value: unknown } | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const expected = Number.parseInt(decoder.decode(line.subarray(0, 8)), 16);
  const json = line.subarray(9);
  if (!Number.isInteger(expected) || crc32(json) !== expected) return undefined;
  try {
    return { value: JSON.parse(decoder.decode(json)) };
  } catch {
    return undefined;
  }
}

/** The result of reading part of a spill file. */
export interface SpillChunk {
  /** Values of the valid lines read, in file order. */
  values: unknown[];
  /** Byte offset just after the last line consumed (where the next read starts). */
  next: number;
  /** Damaged lines skipped. */
  skipped: number;
}

/** A spill file opened by {@linkcode openSpill}. */
export interface SpillFile {
  /** Path of the file. */
  readonly path: string;
  /** Valid rows in the file (all of them, including rows before a read offset). */
  readonly rows: number;
  /** Size in bytes; 0 when the file does not exist. */
  readonly bytes: number;
  /**
   * Appends values and waits until they are on disk (fdatasync).
   *
   * @param values JSON-serializable rows
   */
  append(values: readonly unknown[]): Promise<void>;
  /**
   * Reads up to `maxRows` valid lines starting at byte `offset`.
   *
   * @param offset where to start (0, or a previous `next`)
   * @param maxRows at most this many values
   * @returns the values and where to continue
   */
  read(offset: number, maxRows: number): Promise<SpillChunk>;
  /** Deletes the file (after everything in it was written to the database). */
  remove(): Promise<void>;
  /**
   * Makes room: rewrites the file with only its newest lines from `from` on (the lines before
   * `from` were already replayed), at most `keepBytes` of them, and fsyncs it before it replaces
   * the old file. Offsets start again at 0.
   *
   * @param from the replay offset: earlier lines are dropped without counting as lost
   * @param keepBytes size the file is cut down to
   * @returns `dropped`: valid rows at or after `from` that were cut off (lost)
   */
  compact(from: number, keepBytes: number): Promise<{ dropped: number }>;
}

/**
 * Opens a spill file, creating nothing until the first append. An existing file is scanned: its
 * valid rows are counted and a damaged tail is truncated away (with a warning) so appends start on
 * a clean line.
 *
 * @param path the file
 * @param log where warnings go
 * @returns the file
 * @example
 * ```ts
 * const spill = await openSpill("data/spill/detections/cam.jsonl", log);
 * await spill.append([{ id: "..." }]);
 * const { values, next } = await spill.read(0, 500);
 * ```
 */
export async function openSpill(path: string, log: Logger): Promise<SpillFile> {
  let rows = 0;
  let bytes = 0;
  try {
    const scan = await scanSpill(path);
    rows = scan.rows;
    bytes = scan.validBytes;
    if (scan.skipped > 0) {
      log.warn("spill: damaged lines will be skipped", { path, lines: scan.skipped });
    }
    if (scan.validBytes < scan.size) {
      log.warn("spill: cutting off a damaged tail (torn write)", {
        path,
        bytes: scan.size - scan.validBytes,
      });
      await Deno.truncate(path, scan.validBytes);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }

  return {
    path,
    get rows() {
      return rows;
    },
    get bytes() {
      return bytes;
    },
    async append(values) {
      if (values.length === 0) return;
      const data = encodeSpillLines(values);
      await Deno.mkdir(dirname(path), { recursive: true });
      const file = await Deno.open(path, { append: true, create: true });
      try {
        let written = 0;
        while (written < data.length) written += await file.write(data.subarray(written));
        await file.syncData();
      } catch (error) {
        // A half-written line would glue onto the next append and damage both: cut it off.
        await Deno.truncate(path, bytes).catch(() => {});
        throw error;
      } finally {
        file.close();
      }
      rows += values.length;
      bytes += data.length;
    },
    async read(offset, maxRows) {
      return await readSpill(path, offset, maxRows, (skipped) => {
        log.warn("spill: skipping damaged lines", { path, lines: skipped, offset });
      });
    },
    async remove() {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      rows = 0;
      bytes = 0;
    },
    async compact(from, keepBytes) {
      let dropped = 0;
      let kept = 0;
      let cut: number | undefined;
      const temp = `${path}.compact`;
      const out = await Deno.open(temp, { write: true, create: true, truncate: true });
      try {
        for await (const line of spillLines(path, from)) {
          // The first line from which the rest fits is where the kept part starts.
          if (cut === undefined && bytes - line.start <= keepBytes) cut = line.start;
          const valid = decodeSpillLine(line.bytes) !== undefined;
          if (cut === undefined) {
            if (valid) dropped++;
            continue;
          }
          if (valid) kept++;
          const data = new Uint8Array(line.bytes.length + 1);
          data.set(line.bytes);
          data[line.bytes.length] = NEWLINE;
          let written = 0;
          while (written < data.length) written += await out.write(data.subarray(written));
        }
        await out.syncData();
      } catch (error) {
        out.close();
        await Deno.remove(temp).catch(() => {});
        throw error;
      }
      out.close();
      await Deno.rename(temp, path);
      rows = kept;
      bytes = (await Deno.stat(path)).size;
      return { dropped };
    },
  };
}

/** Every newline-terminated line of a file from `offset` on, with where it starts. */
async function* spillLines(
  path: string,
  offset: number,
): AsyncGenerator<{ start: number; bytes: Uint8Array }> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    let pending = new Uint8Array(0);
    let pendingStart = offset;
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) return;
      const data = new Uint8Array(pending.length + n);
      data.set(pending);
      data.set(buffer.subarray(0, n), pending.length);
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
        yield { start: pendingStart + start, bytes: data.slice(start, end) };
        start = end + 1;
      }
      pendingStart += start;
      pending = data.slice(start);
    }
  } finally {
    file.close();
  }
}

/** What a scan of a whole spill file found. */
interface SpillScan {
  rows: number;
  skipped: number;
  /** Bytes up to the end of the last valid line. */
  validBytes: number;
  size: number;
}

async function scanSpill(path: string): Promise<SpillScan> {
  const scan: SpillScan = { rows: 0, skipped: 0, validBytes: 0, size: 0 };
  let offset = 0;
  // Damaged lines after the last valid one so far: a tail, unless a valid line follows.
  let trailing = 0;
  for (;;) {
    const chunk = await readSpill(path, offset, 10_000, () => {});
    scan.rows += chunk.values.length;
    if (chunk.values.length > 0) {
      scan.skipped += trailing + chunk.skipped - chunk.skippedAfterValid;
      trailing = chunk.skippedAfterValid;
    } else {
      trailing += chunk.skipped;
    }
    if (chunk.lastValidEnd !== undefined) scan.validBytes = chunk.lastValidEnd;
    if (chunk.next === offset) break;
    offset = chunk.next;
  }
  scan.size = (await Deno.stat(path)).size;
  return scan;
}

async function readSpill(
  path: string,
  offset: number,
  maxRows: number,
  onSkipped: (lines: number) => void,
): Promise<SpillChunk & { lastValidEnd: number | undefined; skippedAfterValid: number }> {
  const values: unknown[] = [];
  let skipped = 0;
  let skippedAfterValid = 0;
  let next = offset;
  let lastValidEnd: number | undefined;
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    let pending = new Uint8Array(0);
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    while (values.length < maxRows) {
      const n = await file.read(buffer);
      if (n === null) break;
      const data = new Uint8Array(pending.length + n);
      data.set(pending);
      data.set(buffer.subarray(0, n), pending.length);
      let start = 0;
      for (;;) {
        if (values.length >= maxRows) break;
        const end = data.indexOf(NEWLINE, start);
        if (end < 0) break;
        const decoded = decodeSpillLine(data.subarray(start, end));
        next += end + 1 - start;
        if (decoded) {
          values.push(decoded.value);
          lastValidEnd = next;
          skippedAfterValid = 0;
        } else {
          skipped++;
          skippedAfterValid++;
        }
        start = end + 1;
      }
      pending = data.slice(start);
      if (values.length >= maxRows) break;
    }
  } finally {
    file.close();
  }
  if (skipped > 0) onSkipped(skipped);
  return { values, next, skipped, lastValidEnd, skippedAfterValid };
}
