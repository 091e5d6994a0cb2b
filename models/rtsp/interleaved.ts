/**
 * RTP and RTCP interleaved in the RTSP connection (RFC 2326 §10.12): each packet is framed as
 * `$`, a one-byte channel, a two-byte big-endian length, then the packet. By convention a track's
 * RTP goes on an even channel and its RTCP on the next odd one.
 *
 * @module
 */

/** The byte that starts an interleaved frame (`$`). */
export const INTERLEAVED_MAGIC = 0x24;
/** Bytes of framing before each packet. */
export const INTERLEAVED_HEADER = 4;
/** Largest packet one frame can carry. */
export const MAX_INTERLEAVED_PAYLOAD = 0xffff;

/**
 * Frames a packet for channel `channel`.
 *
 * @param channel 0–255
 * @param payload the RTP or RTCP packet (at most 65535 bytes)
 * @returns `$`, channel, length, payload in one new buffer
 * @throws {RangeError} for a bad channel or an oversized packet
 * @example
 * ```ts
 * encodeInterleaved(0, new Uint8Array([1, 2])); // Uint8Array [0x24, 0, 0, 2, 1, 2]
 * ```
 */
export function encodeInterleaved(channel: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
    throw new RangeError(`interleaved: channel must be 0–255, got ${channel}`);
  }
  if (payload.length > MAX_INTERLEAVED_PAYLOAD) {
    throw new RangeError(`interleaved: packet of ${payload.length} bytes exceeds 65535`);
  }
  const out = new Uint8Array(INTERLEAVED_HEADER + payload.length);
  out[0] = INTERLEAVED_MAGIC;
  out[1] = channel;
  out[2] = payload.length >> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, INTERLEAVED_HEADER);
  return out;
}

/**
 * Reads one frame from the start of `buf` (which must start with `$`).
 *
 * @param buf received bytes
 * @returns channel, payload (a view into `buf`) and the frame's total size, or `null` when the
 *   frame is not complete yet
 * @throws {RangeError} when `buf` does not start with `$`
 * @example
 * ```ts
 * readInterleaved(new Uint8Array([0x24, 1, 0, 1, 9])); // { channel: 1, payload: [9], size: 5 }
 * ```
 */
export function readInterleaved(
  buf: Uint8Array,
): { channel: number; payload: Uint8Array; size: number } | null {
  if (buf[0] !== INTERLEAVED_MAGIC) throw new RangeError("interleaved: frame must start with '$'");
  if (buf.length < INTERLEAVED_HEADER) return null;
  const length = (buf[2]! << 8) | buf[3]!;
  const size = INTERLEAVED_HEADER + length;
  if (buf.length < size) return null;
  return { channel: buf[1]!, payload: buf.subarray(INTERLEAVED_HEADER, size), size };
}
