/**
 * IP address literals as bytes. An IPv6 address has many spellings (`::ffff:127.0.0.1`,
 * `::ffff:7f00:1`, `0:0:0:0:0:ffff:7f00:1`, …; `URL` rewrites the first into the second), so a
 * rule about addresses (models/net/push_target.ts) reads the 16 bytes, never the text, and sees
 * the IPv4 address an IPv6 one stands for.
 *
 * @module
 */

/**
 * The bytes of an IP address literal: 4 for dotted IPv4 (`a.b.c.d`, decimal, no leading zeros),
 * 16 for IPv6 in any RFC 4291 form (full, `::`-compressed, with a dotted IPv4 tail), with or
 * without brackets and a `%zone`.
 *
 * @param text the literal
 * @returns the bytes, or undefined when the text is not an address literal
 * @example
 * ```ts
 * ipAddressBytes("[::ffff:7f00:1]"); // 16 bytes, the last four 127, 0, 0, 1
 * ipAddressBytes("media.lan"); // undefined
 * ```
 */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  let bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  bare = bare.replace(/%[^%]*$/, "");
  if (!bare.includes(":")) return parseIpv4(bare);
  const halves = bare.split("::");
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = words(halves[0]!, !compressed);
  const tail = compressed ? words(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/**
 * The address a connection to a literal reaches, as bytes: an IPv6 address that stands for an
 * IPv4 one — IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96` (but `::` and `::1` are
 * themselves), NAT64 `64:ff9b::/96` — gives those 4 bytes; any other address its own bytes.
 *
 * @param text the literal
 * @returns 4 or 16 bytes, or undefined when the text is not an address literal
 * @example
 * ```ts
 * effectiveAddress("::ffff:a9fe:a9fe"); // [169, 254, 169, 254]
 * ```
 */
export function effectiveAddress(text: string): Uint8Array | undefined {
  const bytes = ipAddressBytes(text);
  if (!bytes || bytes.length === 4) return bytes;
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  const mapped = zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
  const itself = zeros(12, 15) && bytes[15]! <= 1; // `::` and `::1`
  const compatible = zeros(0, 12) && !itself;
  const nat64 = bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b &&
    zeros(4, 12);
  return mapped || compatible || nat64 ? bytes.slice(12) : bytes;
}

/**
 * One text per address, whatever its spelling: dotted IPv4 for 4 bytes, eight full hex groups
 * for 16. For comparing and for messages.
 *
 * @param bytes 4 or 16 bytes
 * @returns the text
 */
export function addressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p))) return undefined;
  const numbers = parts.map(Number);
  return numbers.every((n) => n <= 255) ? Uint8Array.from(numbers) : undefined;
}

/** The 16-bit words of a `:`-separated run; a dotted IPv4 last part (when allowed) is two. */
function words(run: string, dottedLast: boolean): number[] | undefined {
  if (run === "") return [];
  const parts = run.split(":");
  const result: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (dottedLast && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      result.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      result.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return result;
}
