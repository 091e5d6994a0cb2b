/**
 * What the recorder shares with the fleet outside actor context: the source it records, its live
 * numbers, and the end of its work (awaited before the segments writer stops). Also the two small
 * views the fleet gives of a recording: its numbers without the internal file path, and the wait
 * for a stop to finish its segment.
 *
 * @module
 */
import type { RtspTransport } from "../../models/media/ffmpeg_args.ts";
import type { AudioMode } from "../../models/media/segment_args.ts";
import type { ExtraScheme } from "../../models/media/rtsp_url.ts";
import { UnavailableError } from "../../models/errors.ts";
import { withTimeout } from "../../models/timeout.ts";
import type { CameraActor } from "../camera/camera_machine.ts";

/** The URL the recorder reads and how to let it go (see camera_unit.ts `recordingSource`). */
export interface RecordingSource {
  url: string;
  transport?: RtspTransport;
  allowSchemes?: readonly ExtraScheme[];
  /** Called when a run no longer reads the URL. */
  release(): void;
}

/** Live numbers of a camera's recorder, for the API. */
export interface RecorderStats {
  state: "idle" | "connecting" | "recording" | "backoff";
  /** PID of the running ffmpeg. */
  pid: number | null;
  /** The segment being written: its file and estimated start (ms). */
  current: { file: string; startMs: number | null } | null;
  /** Segments indexed since the recorder started. */
  indexed: number;
  /** Segments that failed their check and were removed. */
  rejected: number;
  /** Events mode: finished segments waiting for a decision. */
  pending: number;
  /** Events mode: segments no event needed, deleted. */
  discarded: number;
  /** Runs restarted after the source was lost. */
  reconnects: number;
  /** When the last segment was indexed (ms). */
  lastSegmentAt: number | null;
  lastError: string | null;
  /** Codecs of the source and what happens to its audio. */
  video: string | null;
  audio: AudioMode | null;
  audioCodec: string | null;
}

/**
 * The recorder's numbers and the end of its work, outside actor context: the fleet reads the
 * stats and awaits {@linkcode RecorderHandle.settled} before it stops the segments writer.
 */
export class RecorderHandle {
  /** Live numbers. */
  readonly stats: RecorderStats = RecorderHandle.idleStats();
  #work = new Set<Promise<void>>();

  /** Numbers of a recorder that is not running. */
  static idleStats(): RecorderStats {
    return {
      state: "idle",
      pid: null,
      current: null,
      indexed: 0,
      rejected: 0,
      pending: 0,
      discarded: 0,
      reconnects: 0,
      lastSegmentAt: null,
      lastError: null,
      video: null,
      audio: null,
      audioCodec: null,
    };
  }

  /** @internal records work until it settles. */
  track(work: Promise<void>): void {
    const tracked = work.finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  /** Resolves once every run has ended and every finished segment is indexed or removed. */
  async settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.all([...this.#work]);
  }
}

/**
 * A recorder's numbers as the camera status shows them: without the open file's path, which is
 * the box's business.
 *
 * @param stats the live numbers
 * @returns a copy without `current`
 */
export function publicStats(stats: RecorderStats): Omit<RecorderStats, "current"> {
  const { current: _, ...rest } = stats;
  return rest;
}

/**
 * Resolves once a camera's recording region is idle: a stop has finished and indexed the open
 * segment (or the actor stopped).
 *
 * @param actor the camera actor
 * @param timeoutMs how long to wait
 * @returns settles when idle
 * @throws {UnavailableError} when it takes longer than `timeoutMs`
 */
export async function recordingIdle(actor: CameraActor, timeoutMs: number): Promise<void> {
  if (actor.getSnapshot().matches({ recording: "idle" })) return;
  let subscription: { unsubscribe(): void } | undefined;
  const idle = new Promise<void>((resolve) => {
    subscription = actor.subscribe((snapshot) => {
      if (snapshot.matches({ recording: "idle" }) || snapshot.status !== "active") resolve();
    });
  });
  try {
    await withTimeout(
      idle,
      timeoutMs,
      () => new UnavailableError("recording did not finish its segment in time"),
    );
  } finally {
    subscription?.unsubscribe();
  }
}
