/**
 * SHA-256 of a file, read in chunks so a clip of gigabytes never sits in memory: the tamper
 * evidence stored with every clip and compared by `GET /api/records/{id}/verify`.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Bytes read per chunk. */
const CHUNK = 1024 * 1024;

/**
 * Hashes a file.
 *
 * @param path the file
 * @returns the SHA-256 as 64 lowercase hex digits
 * @throws {Deno.errors.NotFound} when the file is missing
 * @example
 * ```ts
 * await sha256File("/data/records/x.mp4"); // "9f86d08188..."
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(CHUNK);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
