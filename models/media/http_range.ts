/**
 * HTTP range requests (RFC 9110 §14) for serving clips: one `bytes=` range → 206 with exactly
 * those bytes; a range past the end → 416; anything else (no header, several ranges, a malformed
 * one) → the whole file, which RFC 9110 allows a server to answer instead. Players seek in MP4s
 * with single ranges. Pure.
 *
 * @module
 */

/** What to send. */
export type RangePlan =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/**
 * Reads a `Range` header against a file size.
 *
 * @param header the header, or null
 * @param size the file's size in bytes
 * @returns the whole file, an inclusive byte range, or unsatisfiable
 * @example
 * ```ts
 * planRange("bytes=0-99", 1000); // { kind: "partial", start: 0, end: 99 }
 * planRange("bytes=-100", 1000); // { kind: "partial", start: 900, end: 999 }
 * planRange("bytes=1000-", 1000); // { kind: "unsatisfiable" }
 * ```
 */
export function planRange(header: string | null, size: number): RangePlan {
  if (header === null) return { kind: "full" };
  const m = SINGLE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (!Number.isSafeInteger(suffix)) return { kind: "full" };
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  if (end < start) return { kind: "full" };
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}
