/**
 * Identifiers. Cameras (and other rows users page through) get UUIDv7: unique without
 * coordination, and sorted by creation time, so "order by id" is "order by creation" and a cursor
 * is just the last id seen.
 *
 * @module
 */
import { UUID, uuidv7 as libraryUuidv7 } from "uuidv7";

/**
 * Makes a UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version, 74 random bits (npm:uuidv7).
 * Without a time, ids made in one process also increase within a millisecond.
 *
 * @param now milliseconds since the epoch, when the id should carry another time than now (a
 *   frame's time); a 48-bit unsigned integer
 * @returns a lowercase UUID string
 * @throws {RangeError} when `now` is not a 48-bit unsigned integer
 * @example
 * ```ts
 * uuidv7(); // "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e"
 * ```
 */
export function uuidv7(now?: number): string {
  if (now === undefined) return libraryUuidv7();
  const [a, hi, lo] = crypto.getRandomValues(new Uint32Array(3));
  return UUID.fromFieldsV7(now, a! & 0xfff, hi! & 0x3fffffff, lo!).toString();
}

/**
 * A UUID in its canonical 8-4-4-4-12 form, any version, either case: the one pattern for ids.
 * Without flags, so the same source serves as a JSON Schema `pattern` in the API document.
 */
export const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Tells whether a string is a lowercase or uppercase UUID.
 *
 * @param value anything
 * @returns true for a canonical UUID string
 */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
