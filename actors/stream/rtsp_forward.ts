/**
 * A path published in process from another path's video: how a live `source` session serves the
 * hub's camera path without a process (no transcoder, no re-publishing ffmpeg). The forwarder
 * reads the source path like an internal reader and publishes the session's path like a client
 * would; the session path's own clock rewrites the numbers, so its readers see one stream across
 * a quality switch (an encoding ffmpeg taking the path, or the forwarder taking it back). It starts
 * at a live keyframe, with the parameter sets in band ahead of it: a reader that played another
 * size learns this one. See docs/decisions/relay-rtcp-and-source-alias.md.
 *
 * @module
 */

import type { CloseReason } from "./rtsp_conn.ts";
import type { ReaderConn, Stream, StreamPublisher, StreamReader } from "./rtsp_stream.ts";
import type { StreamPaths } from "./rtsp_paths.ts";
import { INTERLEAVED_HEADER } from "../../models/rtsp/interleaved.ts";
import { keyframeStart, rtpPayload } from "../../models/rtsp/rtp.ts";
import { spropParameterSets } from "../../models/rtsp/sdp.ts";
import { parameterSetsPacket } from "../../models/rtsp/parameter_sets.ts";
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from "../../models/backoff.ts";

/** A running forward. */
export interface PathForwarding {
  /** Stops forwarding; the target path loses its publisher if it still is this forwarder. */
  stop(): void;
}

/** The source a forwarder reads. */
interface Source {
  stream: Stream;
  reader: StreamReader;
  track: number;
  /** Parameter sets of its SDP, sent ahead of the first keyframe. */
  sets: Uint8Array[];
}

/**
 * Forwards `from`'s video to `to` until stopped, re-attaching when `from` comes back after it went
 * away, however long that takes (a dead camera is probed for minutes).
 */
export class PathForward implements StreamPublisher {
  #source: Source | null = null;
  /** The target, once published. */
  #target: Stream | null = null;
  /** Forwarding since a keyframe of the current source. */
  #synced = false;
  #stopped = false;
  #attaching = false;
  #started: () => void = () => {};
  /** Ends the pause between two re-attach attempts early (on stop). */
  #wake: () => void = () => {};

  /**
   * @param paths the server's paths
   * @param from the source path (a hub camera path)
   * @param to the path to publish (a live session's)
   * @param waitMs how long to wait for `from` to be published
   */
  constructor(
    readonly paths: StreamPaths,
    readonly from: string,
    readonly to: string,
    readonly waitMs: number,
  ) {}

  /**
   * Attaches to the source and resolves once the target is published (at a keyframe); the caller
   * bounds the wait for it.
   *
   * @throws Error when the source is not published within `waitMs` or has no video
   */
  async start(): Promise<void> {
    const started = new Promise<void>((resolve) => (this.#started = resolve));
    await this.#attach();
    await started;
  }

  /** Stops forwarding; the target loses its publisher if that is still this forwarder. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#started();
    this.#wake();
    const source = this.#source;
    this.#source = null;
    source?.stream.detach(source.reader);
    const target = this.#target;
    if (target?.publisher === this) {
      target.unpublish();
      this.paths.unpublished(target);
    }
  }

  /** Another publisher took the target (an encoding ffmpeg), or the server closes. */
  close(_reason: CloseReason): void {
    this.stop();
  }

  /** A frame from the source (interleaved; the video's RTP on channel 0). */
  #onFrame(bytes: Uint8Array): void {
    const source = this.#source;
    // The source's keyframe cache comes during attach: a switch starts at a live keyframe.
    if (this.#stopped || this.#attaching || !source || bytes[1] !== 0) return;
    const rtp = bytes.subarray(INTERLEAVED_HEADER);
    if (!this.#synced) {
      const encoding = source.stream.sdp.media[source.track]!.encoding;
      if (!keyframeStart(encoding, rtpPayload(rtp))) return;
      const video = source.stream.sdp.media[source.track]!;
      // Publishing again after a source came back resyncs the target's clock to it.
      this.#target = this.paths.publish(this.to, this, {
        session: source.stream.sdp.session,
        media: [video],
      }).stream;
      this.#synced = true;
      const sets = parameterSetsPacket(source.sets, rtp);
      if (sets) this.#target.forward(0, false, sets, Date.now());
      this.#started();
    }
    const target = this.#target;
    if (target?.publisher === this) target.forward(0, false, rtp, Date.now());
  }

  async #attach(): Promise<void> {
    const stream = await this.paths.waitFor(this.from, this.waitMs);
    if (this.#stopped) return;
    if (!stream) throw new Error(`rtsp: ${this.from} is not published`);
    const track = stream.sdp.media.findIndex((m) => m.type === "video");
    if (track < 0) throw new Error(`rtsp: ${this.from} has no video`);
    const channels: ([number, number] | undefined)[] = [];
    channels[track] = [0, 1];
    const video = stream.sdp.media[track]!;
    const source: Source = {
      stream,
      reader: { conn: this.#readerConn(), channels, internal: true },
      track,
      sets: video.encoding === "H264" ? spropParameterSets(video.fmtp) : [],
    };
    this.#source = source;
    this.#synced = false;
    this.#attaching = true;
    stream.attach(source.reader);
    this.#attaching = false;
  }

  /** The reader side: when the source goes away (closing its readers), attach again. */
  #readerConn(): ReaderConn {
    let reason: CloseReason = "eof";
    return {
      queueLimit: Infinity,
      droppedFrames: 0,
      get reason() {
        return reason;
      },
      send: (bytes) => {
        this.#onFrame(bytes);
        return true;
      },
      close: (why) => {
        reason = why;
        this.#source = null;
        if (!this.#stopped) void this.#reattach();
      },
    };
  }

  /**
   * Attaches again until it works or the forwarder stops: each attempt waits up to `waitMs` for
   * the path to be published (woken as soon as it is), so an absent path costs one timer per
   * attempt; a path that is there but unusable (no video) is retried after a backoff pause.
   */
  async #reattach(): Promise<void> {
    for (let failures = 1; !this.#stopped; failures++) {
      try {
        await this.#attach();
        return;
      } catch {
        if (!this.paths.get(this.from)) continue;
      }
      await this.#pause(backoffDelay(failures, { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS }));
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
