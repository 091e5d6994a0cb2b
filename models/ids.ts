/**
 * Identifiers. Cameras (and other rows users page through) get UUIDv7: unique without
 * coordination, and sorted by creation time, so "order by id" is "order by creation" and a cursor
 * is just the last id seen.
 *
 * @module
 */

/**
 * Makes a UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version, 74 random bits.
 *
 * @param now milliseconds since the epoch (for tests)
 * @returns a lowercase UUID string
 * @example
 * ```ts
 * uuidv7(); // "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e"
 * ```
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(now);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** A UUID in its canonical 8-4-4-4-12 form, any version, either case: the one pattern for ids. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tells whether a string is a lowercase or uppercase UUID.
 *
 * @param value anything
 * @returns true for a canonical UUID string
 */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_PATTERN.test(value);
}
