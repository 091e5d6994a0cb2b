/**
 * RTCP sender reports of the relay (RFC 3550 §6.4.1). A reader's jitter buffer (GStreamer's
 * rtpjitterbuffer, a media server's) stamps pictures from RTP time and the report that maps it to
 * wall-clock time; the publisher's own reports use its SSRC and numbers and reach a late reader
 * only after seconds (ffmpeg sends one every 5 s), so the relay writes its own for each track's
 * rewritten stream, from the mapping the track's clock keeps (rtp.ts): the publisher's report when
 * there is one, or else the arrival of its packets. See
 * docs/decisions/relay-rtcp-and-source-alias.md.
 *
 * @module
 */

import type { TrackClock } from "./rtp.ts";

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;
/** Size of a sender report without report blocks. */
export const SENDER_REPORT_BYTES = 28;

/**
 * The sender report of a track at `now`: its SSRC, the NTP time of `now`, the RTP time of the
 * same instant, and the packets and octets sent. Every reader gets the same mapping, a late one
 * too: it plays its cached media behind the live edge (rtsp_late_start.ts), and an NTP time that
 * moved from one report to the next would shift its tracks' timestamps.
 *
 * @param clock the track's clock
 * @param now wall clock, ms
 * @returns a 28-byte RTCP SR, or null before the track has a mapping (no packet yet)
 * @example
 * ```ts
 * const sr = senderReport(clock, Date.now());
 * if (sr) reader.send(sr);
 * ```
 */
export function senderReport(clock: TrackClock, now: number): Uint8Array | null {
  const wall = clock.wall;
  if (!wall) return null;
  const ts = (wall.ts + Math.round(((now - wall.at) * clock.clockRate) / 1000)) >>> 0;
  const sr = new Uint8Array(SENDER_REPORT_BYTES);
  const view = new DataView(sr.buffer);
  sr[0] = 0x80; // version 2, no padding, no report blocks
  sr[1] = 200;
  view.setUint16(2, SENDER_REPORT_BYTES / 4 - 1);
  view.setUint32(4, clock.ssrc);
  const [seconds, fraction] = ntpTime(now);
  view.setUint32(8, seconds);
  view.setUint32(12, fraction);
  view.setUint32(16, ts);
  view.setUint32(20, clock.packets >>> 0);
  view.setUint32(24, clock.octets >>> 0);
  return sr;
}

/**
 * Takes the mapping of a publisher's sender report (the first packet of an RTCP compound): its
 * RTP time, shifted like the track's packets, is the instant the report arrived. Its NTP field is
 * the publisher's clock, which may be off ours by hours; the instant it was sent is what it
 * tells, and it keeps the publisher's sync between its tracks. Not forwarded as it is: it names
 * the publisher's SSRC and counts.
 *
 * @param clock the track's clock (its mapping is updated)
 * @param packet an RTCP compound packet from the publisher
 * @param now wall clock when it arrived, ms
 * @returns whether it held a sender report the clock could use
 * @example
 * ```ts
 * learnSenderReport(clock, rtcpPacket, Date.now());
 * ```
 */
export function learnSenderReport(clock: TrackClock, packet: Uint8Array, now: number): boolean {
  if (!clock.synced || packet.length < SENDER_REPORT_BYTES || packet[0]! >> 6 !== 2) return false;
  if (packet[1] !== 200) return false;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const ts = (view.getUint32(16) + clock.tsOffset) >>> 0;
  clock.wall = { ts, at: now, fromPublisher: true };
  return true;
}

/**
 * NTP time (seconds since 1900, 32-bit fraction) of a wall-clock instant.
 *
 * @param ms Unix time, ms
 * @returns `[seconds, fraction]`
 */
export function ntpTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return [(seconds + NTP_UNIX_OFFSET_S) >>> 0, fraction >>> 0];
}
