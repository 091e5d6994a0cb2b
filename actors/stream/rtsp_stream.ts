/**
 * One relay path: the publisher's description, its readers, and the fan-out of each RTP packet
 * (copied once, SSRC/sequence/timestamp rewritten, queued per reader) with the relay's own RTCP
 * sender reports (models/rtsp/rtcp.ts: at a reader's start, then every few seconds). A late
 * reader starts from the cached packets since the last keyframe, paced on its own schedule
 * (rtsp_late_start.ts) until it has caught up with the live edge; readers outlive a publisher for
 * a grace period (rtsp_paths.ts) and continue seamlessly when one with the same media returns.
 * Why our own relay: docs/decisions/own-rtsp-relay.md.
 *
 * @module
 */

import type { CloseReason } from "./rtsp_conn.ts";
import { readerSdp, sameCodecs, sameMedia, type Sdp } from "../../models/rtsp/sdp.ts";
import {
  catchUpDue,
  keyframeStart,
  newTrackClock,
  nextPosition,
  resyncClock,
  rewriteRtp,
  rtpPayload,
  rtpTimestamp,
  type TrackClock,
} from "../../models/rtsp/rtp.ts";
import { learnSenderReport, senderReport } from "../../models/rtsp/rtcp.ts";
import { Pacer } from "./rtsp_pacer.ts";
import { LateStart } from "./rtsp_late_start.ts";
import { burstAge } from "../../models/rtsp/late_start.ts";
import { INTERLEAVED_HEADER, INTERLEAVED_MAGIC } from "../../models/rtsp/interleaved.ts";

/** Sender reports go to a track's readers this often (RFC 3550 §6.2: at least 5 s apart). */
export const SENDER_REPORT_INTERVAL_MS = 5000;

/** Where a reader's packets go: a client's connection, or a path forwarded in process. */
export interface ReaderConn {
  /** Queues interleaved frames; false (and closed) when the reader is too far behind. */
  send(bytes: Uint8Array): boolean;
  close(reason: CloseReason): void;
  /** Largest queue allowed (a burst sent at once to an internal reader raises it). */
  queueLimit: number;
  readonly reason: CloseReason;
  /** Frames lost when it closed. */
  readonly droppedFrames: number;
}

/** Who publishes a path: a client's connection, or a path forwarded in process. */
export interface StreamPublisher {
  /** Another publisher took the path, or the server closes. */
  close(reason: CloseReason): void;
}

/** A reader attached to a stream. */
export interface StreamReader {
  conn: ReaderConn;
  /** `[rtp, rtcp]` channel per track index; undefined for tracks not set up. */
  channels: ([number, number] | undefined)[];
  /** Internal consumers do not count against the reader limits. */
  internal: boolean;
}

/** Numbers of a path, as `stats(path)` reports them. */
export interface StreamStats {
  /** Whether a publisher is sending. */
  publishing: boolean;
  /** Readers playing. */
  readers: number;
  /** Packets received from publishers. */
  packetsIn: number;
  /** Bytes received from publishers. */
  bytesIn: number;
  /** Frames queued to readers. */
  packetsOut: number;
  /** Frames lost with readers dropped for not reading. */
  packetsDropped: number;
  /** Readers dropped for not reading (queue full). */
  readersDropped: number;
  /** Incoming bitrate over the last second or so, kbit/s. */
  bitrateKbps: number;
  /** When the last packet arrived (epoch ms), null before the first. */
  lastPacketAt: number | null;
  /** Publishers that have taken this path (1 + reconnects). */
  publishers: number;
}

interface Track {
  clock: TrackClock;
  encoding: string;
  keyframes: boolean;
  /** When the last sender report went to the track's readers (epoch ms; 0: none yet). */
  srAt: number;
}

interface Cached {
  track: number;
  /** The interleaved RTP frame, rewritten. */
  frame: Uint8Array;
  /** When the relay received it (epoch ms): a late reader's schedule runs on it. */
  at: number;
}

/**
 * A published (or recently published) path.
 */
export class Stream {
  readonly path: string;
  sdp: Sdp;
  /** The SDP readers get. */
  description: string;
  publisher: StreamPublisher | null = null;
  readonly readers = new Set<StreamReader>();
  /** Late readers still catching up with the live edge, with their pacing. */
  #late = new Map<StreamReader, LateStart>();
  #tracks: Track[];
  #gop: Cached[] = [];
  #gopBytes = 0;
  #gopKeyTs: number | null = null;
  #gopValid = false;
  readonly #gopLimit: number;
  #stats = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    packetsDropped: 0,
    readersDropped: 0,
    lastPacketAt: null as number | null,
    publishers: 0,
  };
  #windowAt = 0;
  #windowBytes = 0;
  #bitrate = 0;
  #sessionId = Math.floor(Math.random() * 2 ** 31);
  /** A publisher's buffered start, held until due (`catchUpDue`), in arrival order. */
  #pacer = new Pacer((track, out, now) => this.#deliver(track, out, now));

  /**
   * @param path the path
   * @param sdp the first publisher's description
   * @param gopLimit bytes the keyframe cache may hold
   * @param switchable whether publishers may change codec parameters under its readers (a live
   *   session's quality switch: the new size comes in band)
   */
  constructor(path: string, sdp: Sdp, gopLimit: number, readonly switchable = false) {
    this.path = path;
    this.sdp = sdp;
    this.description = readerSdp(sdp, path, this.#sessionId);
    this.#tracks = this.#newTracks(sdp);
    this.#gopLimit = gopLimit;
  }

  /** Number of media sections. */
  get trackCount(): number {
    return this.#tracks.length;
  }

  /**
   * A publisher takes the path. With the same media (on a switchable path: the same codecs),
   * readers continue; otherwise they are closed (they reconnect and learn the new description).
   *
   * @param conn the publisher
   * @param sdp its description
   * @returns the readers that had to be closed
   */
  publish(conn: StreamPublisher, sdp: Sdp): number {
    this.#pacer.flush(Infinity);
    this.publisher = conn;
    this.#stats.publishers++;
    this.#clearGop();
    if (sameMedia(this.sdp, sdp) || (this.switchable && sameCodecs(this.sdp, sdp))) {
      for (const track of this.#tracks) resyncClock(track.clock);
      return 0;
    }
    const closed = this.readers.size;
    for (const reader of [...this.readers]) reader.conn.close("server");
    this.readers.clear();
    for (const late of this.#late.values()) late.discard();
    this.#late.clear();
    this.sdp = sdp;
    this.#sessionId++;
    this.description = readerSdp(sdp, this.path, this.#sessionId);
    this.#tracks = this.#newTracks(sdp);
    return closed;
  }

  /** The publisher left; readers stay until a new one comes or the path is removed. */
  unpublish(): void {
    this.#pacer.flush(Infinity);
    this.publisher = null;
    this.#clearGop();
  }

  /**
   * Where a reader attached now starts on a track (its PLAY reply's `RTP-Info`): the first cached
   * packet, or the next one.
   *
   * @param track the track index
   * @returns its sequence number and RTP time, or null when nothing is known yet
   */
  startPosition(track: number): { seq: number; ts: number } | null {
    const first = this.#catchUpBurst().find((c) => c.track === track) ??
      this.#pacer.first(track);
    if (first) {
      const rtp = first.frame.subarray(INTERLEAVED_HEADER);
      return { seq: (rtp[2]! << 8) | rtp[3]!, ts: rtpTimestamp(rtp) };
    }
    const clock = this.#tracks[track]?.clock;
    return clock ? nextPosition(clock) : null;
  }

  /**
   * Starts a reader: a sender report per track, then the packets since the last keyframe, then
   * every new packet. The cached packets are older than the live edge: a late reader gets them,
   * and the live packets after them, on its own schedule until it has caught up (never faster
   * than a receiver's jitter buffer can follow: models/rtsp/late_start.ts). Vigil's own
   * consumers (internal: its ffmpeg readers, in-process forwarding) stamp from RTP time and get
   * them at once.
   *
   * @param reader the reader with its channels
   * @param now wall clock, ms
   */
  attach(reader: StreamReader, now = Date.now()): void {
    const burst = this.#catchUpBurst();
    // The reports give the track's true mapping (the same one every 5 s): a reader that plays
    // behind the live edge sees its media as that much late, never an NTP time that jumps.
    this.#tracks.forEach((track, i) => {
      const sr = senderReport(track.clock, now);
      const pair = reader.channels[i];
      if (sr && pair) reader.conn.send(frame(pair[1], sr));
    });
    const send = (f: Uint8Array) => this.#sendTo(reader, f);
    const rates = this.#tracks.map((t) => t.clock.clockRate);
    const late = burst.length > 0 && !reader.internal
      ? new LateStart(send, burstAge(burst, now), rates, reader.conn.queueLimit, now)
      : undefined;
    this.readers.add(reader);
    let bytes = 0;
    for (const c of burst) {
      const pair = reader.channels[c.track];
      if (!pair) continue;
      if (!this.readers.has(reader)) break; // dropped (it refused a packet): nothing more to queue
      const out = withChannel(c.frame, pair[0]);
      if (late) {
        late.offer(c.track, out, c.at, now);
      } else {
        bytes += out.length;
        reader.conn.send(out);
      }
    }
    // A burst sent at once drains at once; only what piles up after it counts as not reading.
    reader.conn.queueLimit += bytes;
    if (late && !late.done && this.readers.has(reader)) this.#late.set(reader, late);
    else late?.discard();
  }

  /**
   * Stops a reader.
   *
   * @param reader the reader
   */
  detach(reader: StreamReader): void {
    this.readers.delete(reader);
    this.#late.get(reader)?.discard();
    this.#late.delete(reader);
  }

  /**
   * A packet from the publisher: rewrite, cache, and queue it to every reader of its track.
   *
   * @param track the track index
   * @param rtcp whether it came on the track's RTCP channel
   * @param packet the packet (a view into the connection's read buffer; copied here)
   * @param now wall clock, ms
   */
  forward(track: number, rtcp: boolean, packet: Uint8Array, now: number): void {
    const t = this.#tracks[track];
    if (!t) return;
    this.#count(packet.length, now);
    if (rtcp) {
      // The relay reports for the rewritten stream itself; the publisher's report sets its clock.
      learnSenderReport(t.clock, packet, now);
      return;
    }
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
    const out = frame(0, packet);
    const rtp = out.subarray(INTERLEAVED_HEADER);
    rewriteRtp(t.clock, rtp, now);
    this.#pacer.offer({ track, frame: out, due: catchUpDue(t.clock, rtpTimestamp(rtp)) }, now);
  }

  /** A rewritten packet goes out: cached, after a sender report when one is due, to its readers. */
  #deliver(track: number, out: Uint8Array, now: number): void {
    const t = this.#tracks[track];
    if (!t) return;
    if (t.keyframes) this.#cacheKeyframe(t, out.subarray(INTERLEAVED_HEADER));
    if (now - t.srAt >= SENDER_REPORT_INTERVAL_MS) {
      t.srAt = now;
      const sr = senderReport(t.clock, now);
      if (sr) this.#fanOut(track, true, frame(0, sr), now);
    }
    if (this.#gopValid) this.#cache({ track, frame: out, at: now });
    this.#fanOut(track, false, out, now);
  }

  /**
   * Queues a framed packet to every reader of its track (a late reader's RTP through its pacing;
   * reports go at once).
   */
  #fanOut(track: number, rtcp: boolean, out: Uint8Array, now: number): void {
    let byChannel: Map<number, Uint8Array> | undefined;
    for (const reader of this.readers) {
      const pair = reader.channels[track];
      if (!pair) continue;
      const channel = rtcp ? pair[1] : pair[0];
      let f = channel === out[1] ? out : byChannel?.get(channel);
      if (!f) {
        f = withChannel(out, channel);
        (byChannel ??= new Map()).set(channel, f);
      }
      const late = rtcp ? undefined : this.#late.get(reader);
      if (!late) {
        this.#sendTo(reader, f);
        continue;
      }
      late.offer(track, f, now, now);
      if (late.done) this.#late.delete(reader);
    }
  }

  /** Queues a frame to a reader, dropping the reader when it has stopped reading. */
  #sendTo(reader: StreamReader, f: Uint8Array): void {
    if (!this.readers.has(reader)) return;
    if (reader.conn.send(f)) {
      this.#stats.packetsOut++;
      return;
    }
    this.detach(reader);
    if (reader.conn.reason === "overflow") {
      this.#stats.readersDropped++;
      this.#stats.packetsDropped += reader.conn.droppedFrames + 1;
    }
  }

  /**
   * The path's numbers.
   *
   * @param now wall clock, ms
   * @returns a copy of the counters
   */
  stats(now: number): StreamStats {
    const recent = this.#stats.lastPacketAt !== null && now - this.#stats.lastPacketAt < 2000;
    return {
      publishing: this.publisher !== null,
      readers: this.readers.size,
      ...this.#stats,
      bitrateKbps: recent ? Math.round(this.#bitrate / 100) / 10 : 0,
    };
  }

  /** Readers that count against the limits. */
  get externalReaders(): number {
    let n = 0;
    for (const r of this.readers) if (!r.internal) n++;
    return n;
  }

  #count(bytes: number, now: number): void {
    this.#stats.packetsIn++;
    this.#stats.bytesIn += bytes;
    this.#stats.lastPacketAt = now;
    this.#windowBytes += bytes;
    if (now - this.#windowAt >= 1000) {
      this.#bitrate = this.#windowAt === 0
        ? 0
        : (this.#windowBytes * 8000) / (now - this.#windowAt);
      this.#windowAt = now;
      this.#windowBytes = 0;
    }
  }

  /**
   * The cached packets for a late reader, with their own timestamps (restamped one tick apart,
   * ffprobe read a 25 fps stream as 50 fps: test/actors/stream/hub_test.ts); an external reader
   * gets them paced (rtsp_late_start.ts).
   */
  #catchUpBurst(): Cached[] {
    return this.#gopValid ? [...this.#gop] : [];
  }

  #cacheKeyframe(track: Track, rtp: Uint8Array): void {
    const ts = rtpTimestamp(rtp);
    if (ts === this.#gopKeyTs || !keyframeStart(track.encoding, rtpPayload(rtp))) return;
    // A new keyframe (its parameter sets and slices share one timestamp): restart the cache.
    this.#clearGop();
    this.#gopKeyTs = ts;
    this.#gopValid = true;
    // A late reader whose catch-up gave up goes on live from here (rtsp_late_start.ts `gaveUp`).
    for (const [reader, late] of this.#late) if (late.gaveUp) this.#late.delete(reader);
  }

  #cache(entry: Cached): void {
    if (this.#gopBytes + entry.frame.length > this.#gopLimit) {
      // A GOP larger than the cache: late readers wait for the next keyframe instead.
      this.#clearGop();
      return;
    }
    this.#gop.push(entry);
    this.#gopBytes += entry.frame.length;
  }

  #clearGop(): void {
    this.#gop = [];
    this.#gopBytes = 0;
    this.#gopKeyTs = null;
    this.#gopValid = false;
  }

  #newTracks(sdp: Sdp): Track[] {
    // Per track: SSRC, first sequence number and first timestamp (random, RFC 3550 §5.1).
    const random = crypto.getRandomValues(new Uint32Array(sdp.media.length * 3));
    return sdp.media.map((m, i) => ({
      clock: newTrackClock(random[3 * i]!, m.clockRate, {
        seq: random[3 * i + 1]! & 0x7fff,
        ts: random[3 * i + 2]!,
      }),
      encoding: m.encoding,
      keyframes: m.encoding === "H264" || m.encoding === "H265",
      srAt: 0,
    }));
  }
}

/** Frames a packet on `channel` (copying it). */
function frame(channel: number, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(INTERLEAVED_HEADER + packet.length);
  out[0] = INTERLEAVED_MAGIC;
  out[1] = channel;
  out[2] = packet.length >> 8;
  out[3] = packet.length & 0xff;
  out.set(packet, INTERLEAVED_HEADER);
  return out;
}

/** The same frame on another channel (a copy only when the channel differs). */
function withChannel(f: Uint8Array, channel: number): Uint8Array {
  if (f[1] === channel) return f;
  const copy = f.slice();
  copy[1] = channel;
  return copy;
}
