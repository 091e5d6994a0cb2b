/**
 * What the relay reads and changes in RTP/RTCP packets — never the media itself: a per-track
 * clock that rewrites SSRC, sequence number and timestamp (and RTCP sender reports) so readers
 * see one continuous stream when the publisher behind a path is replaced (a reconnect's new
 * ffmpeg starts at random numbers: a decoder would see a jump of hours), the track's mapping of
 * RTP time to wall-clock time (for the sender reports of rtcp.ts), and whether a packet starts an
 * H.264/H.265 keyframe, which bounds the cache a late reader starts from.
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
  /** Whether the last packet ended a picture (its marker bit). */
  lastMarker: boolean;
  /** When the current publisher's first packet came, ms, and its rewritten timestamp. */
  syncedAt: number;
  syncTs: number;
  /** Where the first publisher's first packet is mapped to (readers learn it in `RTP-Info`). */
  readonly start: { seq: number; ts: number } | null;
  /**
   * Wall-clock time of one rewritten timestamp: the publisher's last sender report, or else the
   * packet that arrived least late (a burst of buffered packets must not look like the present).
   */
  wall: { ts: number; at: number; fromPublisher: boolean } | null;
  /** RTP packets and payload octets sent (sender reports carry them). */
  packets: number;
  octets: number;
}

/** Past this many ticks from the mapping's timestamp, it is moved along (32-bit wrap). */
const WALL_REANCHOR_TICKS = 2 ** 30;
/**
 * How long after a publisher's first packet its buffered start (a burst of media it read while
 * probing its source, sent at once) is paced (see {@linkcode catchUpDue}).
 */
export const CATCH_UP_MS = 4000;

/**
 * A clock for a new track.
 *
 * @param ssrc the SSRC readers will see
 * @param clockRate the track's RTP clock rate
 * @param start where the first packet is mapped to; null keeps the first publisher's numbers
 * @returns a clock that syncs on the first packet
 * @example
 * ```ts
 * const clock = newTrackClock(0x1234, 90000, { seq: 100, ts: 5000 });
 * ```
 */
export function newTrackClock(
  ssrc: number,
  clockRate: number,
  start: { seq: number; ts: number } | null = null,
): TrackClock {
  return {
    start,
    wall: null,
    packets: 0,
    octets: 0,
    ssrc: ssrc >>> 0,
    clockRate,
    seqOffset: 0,
    tsOffset: 0,
    lastSeq: null,
    lastTs: null,
    lastAt: 0,
    synced: false,
    lastMarker: false,
    syncedAt: 0,
    syncTs: 0,
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
 * number later, and later in time by the wall-clock gap). A video picture that would get the
 * timestamp of the one before (an ffmpeg stamping pictures read together with the same wall-clock
 * time) gets one tick more: a timestamp names one picture (RFC 6184 §5.1), and readers that stamp
 * pictures from it drop duplicates.
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
    } else if (clock.start) {
      clock.seqOffset = (clock.start.seq - seq) & 0xffff;
      clock.tsOffset = (clock.start.ts - ts) >>> 0;
    }
    clock.synced = true;
    clock.syncedAt = now;
    clock.syncTs = (ts + clock.tsOffset) >>> 0;
  }
  const outSeq = (seq + clock.seqOffset) & 0xffff;
  let outTs = (ts + clock.tsOffset) >>> 0;
  if (clock.lastMarker && outTs === clock.lastTs && clock.clockRate === 90000) {
    clock.tsOffset = (clock.tsOffset + 1) >>> 0;
    outTs = (outTs + 1) >>> 0;
  }
  clock.lastMarker = (packet[1]! & 0x80) !== 0;
  view.setUint16(2, outSeq);
  view.setUint32(4, outTs);
  view.setUint32(8, clock.ssrc);
  clock.lastSeq = outSeq;
  clock.lastTs = outTs;
  clock.lastAt = now;
  clock.packets++;
  clock.octets += Math.max(0, packet.length - RTP_HEADER);
  noteArrival(clock, outTs, now);
}

/**
 * When a packet of a publisher's first seconds is due to readers: at twice real time from its
 * first packet. A publisher that starts with a burst of buffered media (ffmpeg sends what it read
 * while probing its source at once) is so forwarded faster than real time until it has caught
 * up, never in one instant: a reader's jitter buffer that stamps pictures from arrival and RTP
 * time (GStreamer's) would stamp the live pictures after an instant burst earlier than the
 * burst's. Timestamps are left as they are. A packet that would fall due after the window (a
 * forward timestamp jump: a camera's clock step, a bad pts) is not a buffered start: it is due at
 * once, or it would hold everything behind it for as long as the jump (hours).
 *
 * @param clock the track's clock (after {@linkcode rewriteRtp} of the packet)
 * @param ts the packet's rewritten timestamp
 * @returns when it is due (epoch ms); 0 outside the publisher's first {@linkcode CATCH_UP_MS}
 *   or when it would fall due after them
 * @example
 * ```ts
 * const due = catchUpDue(clock, rtpTimestamp(packet));
 * if (due > Date.now()) queue(packet, due);
 * ```
 */
export function catchUpDue(clock: TrackClock, ts: number): number {
  if (clock.lastAt - clock.syncedAt >= CATCH_UP_MS) return 0;
  const media = (((ts - clock.syncTs) | 0) * 1000) / clock.clockRate;
  const due = clock.syncedAt + Math.max(0, media) / 2;
  return due > clock.syncedAt + CATCH_UP_MS ? 0 : due;
}

/**
 * Where a reader starting now will be: the sequence number and timestamp of the next packet
 * (the timestamp of the last one while its successor is unknown).
 *
 * @param clock the track's clock
 * @returns the position, or null before anything is known
 */
export function nextPosition(clock: TrackClock): { seq: number; ts: number } | null {
  if (clock.lastSeq !== null && clock.lastTs !== null) {
    return { seq: (clock.lastSeq + 1) & 0xffff, ts: clock.lastTs };
  }
  return clock.start;
}

/** Keeps the mapping on the least late packet (unless the publisher's report sets it). */
function noteArrival(clock: TrackClock, ts: number, now: number): void {
  const wall = clock.wall;
  if (!wall) {
    clock.wall = { ts, at: now, fromPublisher: false };
    return;
  }
  const ticks = (ts - wall.ts) | 0;
  const expected = wall.at + (ticks * 1000) / clock.clockRate;
  if (!wall.fromPublisher && now < expected) {
    clock.wall = { ts, at: now, fromPublisher: false };
  } else if (Math.abs(ticks) > WALL_REANCHOR_TICKS) {
    clock.wall = { ts, at: expected, fromPublisher: wall.fromPublisher };
  }
}

/**
 * Marks that another publisher takes over: the next packet sets new offsets.
 *
 * @param clock the track's clock
 */
export function resyncClock(clock: TrackClock): void {
  clock.synced = false;
  // The old publisher's report says nothing of the new one's clock: arrivals set it again.
  if (clock.wall) clock.wall.fromPublisher = false;
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
