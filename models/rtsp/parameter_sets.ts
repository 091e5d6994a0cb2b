/**
 * H.264 parameter sets sent in band (RFC 6184 §5.7.1, STAP-A): a reader that switches from one
 * picture size to another on the same connection learns the new size from the SPS/PPS before the
 * keyframe. A camera's RTP stream often carries them only in its SDP (`sprop-parameter-sets`),
 * which a reader that joined at another size never sees: the relay sends them ahead.
 *
 * @module
 */

import { RTP_HEADER } from "./rtp.ts";

/**
 * An RTP packet carrying `sets` in one STAP-A, to go just before `next`: its header, with the
 * same timestamp and SSRC, the sequence number before and no marker.
 *
 * @param sets the NAL units (SPS, PPS)
 * @param next the first packet of the keyframe they precede
 * @returns the packet, or null without sets or when they would not fit one packet
 * @example
 * ```ts
 * const stap = parameterSetsPacket(spropParameterSets(fmtp), keyframePacket);
 * ```
 */
export function parameterSetsPacket(sets: Uint8Array[], next: Uint8Array): Uint8Array | null {
  if (sets.length === 0 || next.length < RTP_HEADER) return null;
  const size = 1 + sets.reduce((n, s) => n + 2 + s.length, 0);
  if (size > 1400 || sets.some((s) => s.length === 0)) return null;
  const packet = new Uint8Array(RTP_HEADER + size);
  packet.set(next.subarray(0, RTP_HEADER));
  packet[0] = 0x80; // no padding, extension or CSRCs
  packet[1] = next[1]! & 0x7f;
  const view = new DataView(packet.buffer);
  view.setUint16(2, (view.getUint16(2) - 1) & 0xffff);
  // STAP-A header: the highest NRI of its units, type 24.
  packet[RTP_HEADER] = sets.reduce((nri, s) => Math.max(nri, s[0]! & 0x60), 0) | 24;
  let at = RTP_HEADER + 1;
  for (const set of sets) {
    view.setUint16(at, set.length);
    packet.set(set, at + 2);
    at += 2 + set.length;
  }
  return packet;
}
