/**
 * Repair of fragmented MP4 segments torn by a crash: read the top-level boxes (`ftyp`, `moov`,
 * then `moof`+`mdat` pairs, finally `mfra`) and keep the file up to the end of its last complete
 * fragment. The plan is a pure function of the box headers; reading them is a few small reads.
 * Why fragments: docs/decisions/fragmented-mp4-segments.md.
 *
 * @module
 */

/** A top-level box: its 4-letter type, where it starts and how long it claims to be. */
export interface BoxHeader {
  type: string;
  offset: number;
  /** Bytes including the header; `Infinity` for a box that runs to the end of the file. */
  size: number;
}

/** What to do with a segment file. */
export type RepairPlan =
  | { action: "keep" }
  | { action: "truncate"; bytes: number }
  | { action: "drop"; reason: string };

/**
 * Decides what a torn segment can keep.
 *
 * @param boxes the top-level boxes in file order (see {@linkcode readBoxHeaders})
 * @param fileSize the file's size in bytes
 * @returns keep it whole, truncate it after its last complete fragment, or drop it
 * @example
 * ```ts
 * planRepair([{ type: "ftyp", offset: 0, size: 28 }, { type: "moov", offset: 28, size: 800 },
 *   { type: "moof", offset: 828, size: 200 }, { type: "mdat", offset: 1028, size: 9000 },
 *   { type: "moof", offset: 10028, size: 200 }], 10100);
 * // { action: "truncate", bytes: 10028 }
 * ```
 */
export function planRepair(boxes: readonly BoxHeader[], fileSize: number): RepairPlan {
  const complete = (b: BoxHeader) => Number.isFinite(b.size) && b.offset + b.size <= fileSize;
  const [ftyp, moov] = boxes;
  if (ftyp?.type !== "ftyp" || !complete(ftyp)) return { action: "drop", reason: "no ftyp box" };
  if (moov?.type !== "moov" || !complete(moov)) {
    return { action: "drop", reason: "no complete moov box" };
  }
  const last = boxes.at(-1)!;
  if (complete(last) && last.offset + last.size === fileSize) {
    return boxes.some((b) => b.type === "mdat")
      ? { action: "keep" }
      : { action: "drop", reason: "no media data" };
  }
  let end = 0;
  for (let i = 2; i + 1 < boxes.length; i++) {
    const moof = boxes[i]!;
    const mdat = boxes[i + 1]!;
    if (moof.type === "moof" && mdat.type === "mdat" && complete(moof) && complete(mdat)) {
      end = mdat.offset + mdat.size;
      i++;
    }
  }
  return end === 0
    ? { action: "drop", reason: "no complete fragment" }
    : { action: "truncate", bytes: end };
}

/** Reading stops after this many boxes (a fragment per GOP: a 10 min segment has ~600 pairs). */
const MAX_BOXES = 100_000;

/** Box types are four printable ASCII bytes; anything else means the header is garbage. */
const ASCII = new TextDecoder("ascii");

/**
 * Reads the top-level box headers of a file. A header cut short, a size that points back, or a
 * type that is not four printable characters ends the list (the rest is torn or garbage).
 *
 * @param path the file
 * @returns the boxes and the file size
 */
export async function readBoxHeaders(path: string): Promise<{ boxes: BoxHeader[]; size: number }> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const boxes: BoxHeader[] = [];
  const header = new Uint8Array(16);
  let offset = 0;
  while (offset + 8 <= size && boxes.length < MAX_BOXES) {
    await file.seek(offset, Deno.SeekMode.Start);
    const n = await readFully(file, header.subarray(0, Math.min(16, size - offset)));
    if (n < 8) break;
    const view = new DataView(header.buffer);
    const type = ASCII.decode(header.subarray(4, 8));
    if (!/^[\x20-\x7e]{4}$/.test(type)) break;
    let boxSize = view.getUint32(0);
    if (boxSize === 1) {
      if (n < 16) break;
      boxSize = Number(view.getBigUint64(8));
    } else if (boxSize === 0) {
      boxes.push({ type, offset, size: Infinity });
      break;
    }
    if (boxSize < 8) break;
    boxes.push({ type, offset, size: boxSize });
    offset += boxSize;
  }
  return { boxes, size };
}

/**
 * Repairs a segment in place: truncates a torn file after its last complete fragment.
 *
 * @param path the file
 * @returns the plan that was applied
 */
export async function repairSegment(path: string): Promise<RepairPlan> {
  const { boxes, size } = await readBoxHeaders(path);
  const plan = planRepair(boxes, size);
  if (plan.action === "truncate") await Deno.truncate(path, plan.bytes);
  return plan;
}

async function readFully(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buf.length) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}
