/**
 * What the relay reads and changes in RTP/RTCP packets — never the media itself: a per-track
 * clock that rewrites SSRC, sequence number and timestamp (and RTCP sender reports) so readers
 * see one continuous stream when the publisher behind a path is replaced (a reconnect's new
 * ffmpeg starts at random numbers: a decoder would see a jump of hours), and whether a packet
 * starts an H.264/H.265 keyframe, which bounds the cache a late reader starts from.
 * See docs/decisions/own-rtsp-relay.md.
 *
 * @module
 */

/** Size of the fixed RTP header. */
export const RTP_HEADER = 12;

/** Rewrite state of one track: what readers saw last and how publisher numbers map to it. */
export interface TrackClock {
  /** SSRC readers see, fixed for the life of the path. */
  readonly ssrc: number;
  /** RTP clock rate of the track (Hz). */
  readonly clockRate: number;
  /** Added to the publisher's sequence numbers (mod 2^16). */
  seqOffset: number;
  /** Added to the publisher's timestamps (mod 2^32). */
  tsOffset: number;
  /** Last sequence number sent to readers. */
  lastSeq: number | null;
  /** Last timestamp sent to readers. */
  lastTs: number | null;
  /** When the last packet was sent, ms. */
  lastAt: number;
  /** False until the first packet of the current publisher has set the offsets. */
  synced: boolean;
}

/**
 * A clock for a new track.
 *
 * @param ssrc the SSRC readers will see
 * @param clockRate the track's RTP clock rate
 * @returns a clock that syncs on the first packet
 * @example
 * ```ts
 * const clock = newTrackClock(0x1234, 90000);
 * ```
 */
export function newTrackClock(ssrc: number, clockRate: number): TrackClock {
  return {
    ssrc: ssrc >>> 0,
    clockRate,
    seqOffset: 0,
    tsOffset: 0,
    lastSeq: null,
    lastTs: null,
    lastAt: 0,
    synced: false,
  };
}

/**
 * Whether bytes look like an RTP packet (version 2, room for the header and its CSRCs).
 *
 * @param packet candidate
 * @returns true when plausible
 */
export function isRtp(packet: Uint8Array): boolean {
  return packet.length >= RTP_HEADER && packet[0]! >> 6 === 2 &&
    packet.length >= RTP_HEADER + 4 * (packet[0]! & 0x0f);
}

/**
 * Rewrites an RTP packet in place for readers: SSRC to the clock's, sequence number and timestamp
 * shifted so that the first packet of a new publisher follows the last one sent (one sequence
 * number later, and later in time by the wall-clock gap).
 *
 * @param clock the track's clock (updated)
 * @param packet an RTP packet, modified in place
 * @param now wall clock, ms
 * @example
 * ```ts
 * rewriteRtp(clock, packet, Date.now());
 * ```
 */
export function rewriteRtp(clock: TrackClock, packet: Uint8Array, now: number): void {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const seq = view.getUint16(2);
  const ts = view.getUint32(4);
  if (!clock.synced) {
    if (clock.lastSeq !== null && clock.lastTs !== null) {
      const gap = Math.max(1, Math.round(((now - clock.lastAt) * clock.clockRate) / 1000));
      clock.seqOffset = (clock.lastSeq + 1 - seq) & 0xffff;
      clock.tsOffset = (clock.lastTs + gap - ts) >>> 0;
    }
    clock.synced = true;
  }
  const outSeq = (seq + clock.seqOffset) & 0xffff;
  const outTs = (ts + clock.tsOffset) >>> 0;
  view.setUint16(2, outSeq);
  view.setUint32(4, outTs);
  view.setUint32(8, clock.ssrc);
  clock.lastSeq = outSeq;
  clock.lastTs = outTs;
  clock.lastAt = now;
}

/**
 * Marks that another publisher takes over: the next packet sets new offsets.
 *
 * @param clock the track's clock
 */
export function resyncClock(clock: TrackClock): void {
  clock.synced = false;
}

/**
 * The sender report of an RTCP compound packet, rewritten like the track's RTP (SSRC and RTP
 * timestamp), without the rest of the compound (SDES etc. name the publisher's SSRC).
 *
 * @param clock the track's clock
 * @param packet an RTCP compound packet from the publisher
 * @returns a new buffer holding just the SR, or `null` when there is none or the clock has not
 *   synced yet (the mapping would be wrong)
 * @example
 * ```ts
 * const sr = rewriteSenderReport(clock, rtcp);
 * ```
 */
export function rewriteSenderReport(clock: TrackClock, packet: Uint8Array): Uint8Array | null {
  if (!clock.synced || packet.length < 28 || packet[0]! >> 6 !== 2 || packet[1] !== 200) {
    return null;
  }
  const words = ((packet[2]! << 8) | packet[3]!) + 1;
  const length = words * 4;
  if (length < 28 || length > packet.length) return null;
  const sr = packet.slice(0, length);
  const view = new DataView(sr.buffer);
  view.setUint32(4, clock.ssrc);
  view.setUint32(16, (view.getUint32(16) + clock.tsOffset) >>> 0);
  return sr;
}

/**
 * The RTP timestamp of a packet.
 *
 * @param packet an RTP packet
 * @returns its timestamp
 */
export function rtpTimestamp(packet: Uint8Array): number {
  return ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
}

/**
 * The payload of an RTP packet (after CSRCs and the header extension).
 *
 * @param packet an RTP packet
 * @returns a view of the payload, empty when the header is malformed
 */
export function rtpPayload(packet: Uint8Array): Uint8Array {
  if (!isRtp(packet)) return new Uint8Array();
  let offset = RTP_HEADER + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return new Uint8Array();
    offset += 4 + 4 * ((packet[offset + 2]! << 8) | packet[offset + 3]!);
  }
  return offset <= packet.length ? packet.subarray(offset) : new Uint8Array();
}

/**
 * Whether an RTP payload begins a keyframe: an H.264 IDR slice or SPS (RFC 6184: single NAL
 * unit, STAP-A, or the first FU-A fragment), or an H.265 IRAP picture or VPS/SPS (RFC 7798).
 * Other codecs have no keyframes the relay knows of.
 *
 * @param encoding the track's encoding (`H264`, `H265`...)
 * @param payload the RTP payload
 * @returns true when a decoder could start here
 * @example
 * ```ts
 * keyframeStart("H264", new Uint8Array([0x67, 0x42])); // true (SPS)
 * ```
 */
export function keyframeStart(encoding: string, payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  if (encoding === "H264") {
    const type = payload[0]! & 0x1f;
    if (type === 24) return aggregated(payload, 1, (b) => h264Key(b & 0x1f));
    if (type === 28) return (payload[1]! & 0x80) !== 0 && h264Key(payload[1]! & 0x1f);
    return h264Key(type);
  }
  if (encoding === "H265") {
    const type = (payload[0]! >> 1) & 0x3f;
    if (type === 48) return aggregated(payload, 2, (b) => h265Key((b >> 1) & 0x3f));
    if (type === 49) {
      return payload.length > 2 && (payload[2]! & 0x80) !== 0 && h265Key(payload[2]! & 0x3f);
    }
    return h265Key(type);
  }
  return false;
}

function h264Key(type: number): boolean {
  return type === 5 || type === 7;
}

function h265Key(type: number): boolean {
  return (type >= 16 && type <= 21) || type === 32 || type === 33;
}

/** Walks an aggregation packet's (size, NAL unit) pairs after `header` bytes. */
function aggregated(payload: Uint8Array, header: number, key: (first: number) => boolean): boolean {
  let at = header;
  while (at + 2 < payload.length) {
    const size = (payload[at]! << 8) | payload[at + 1]!;
    if (size === 0 || at + 2 + size > payload.length) return false;
    if (key(payload[at + 2]!)) return true;
    at += 2 + size;
  }
  return false;
}
