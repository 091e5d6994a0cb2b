/**
 * What the live manager (manager.ts) needs and what it offers: the seams it is started with and
 * the interface the routes and the system use.
 *
 * @module
 */
import type { Database } from "../../models/store/database.ts";
import type { PushAllowEntry } from "../../models/net/push_target.ts";
import type { TrackBoard } from "../../models/analytics/track_board.ts";
import type { ProcessGroup } from "../process/process_group.ts";
import type { HlsSink, MjpegSink } from "./sinks.ts";
import type { LiveSource } from "./source.ts";
import type { OpenRequest, SessionInfo } from "./types.ts";

/** The box's RTSP server, where `rtsp` sessions are published for readers to pull. */
export interface LivePublisher {
  /** The URL a local ffmpeg publishes `/live/<session>` to (with the server's internal secret). */
  publishUrl(sessionId: string): string;
  /** How many readers pull `/live/<session>` now. */
  readers(sessionId: string): number;
  /**
   * Serves `/live/<session>` with the video of relay path `from`, in the relay itself, until
   * stopped (a `source` session: no process); `started` settles at its first keyframe. An ffmpeg
   * publishing the session (an encoded quality) takes the path from it.
   */
  forward(sessionId: string, from: string): { started: Promise<void>; stop(): void };
}

/** What the manager needs. */
export interface LiveOptions {
  db: Database;
  /** The camera's analysis, for annotated sessions; throws NotFoundError for a camera gone. */
  fleet: { board(cameraId: string): TrackBoard; status(cameraId: string): { analytics: string } };
  source: LiveSource;
  /** Absent: `rtsp` output is refused (503), the other outputs work. */
  publisher?: LivePublisher;
  /** Root of the sessions' HLS directories (emptied at start). */
  dir: string;
  /** A session nobody reads for this long ends. */
  idleMs: number;
  /** Encoding transcoders at most. */
  maxTranscodes: number;
  /** Sessions at most. */
  maxSessions: number;
  /** A transcoder without sessions stays warm this long (at most `idleMs`). */
  lingerMs?: number;
  /** Sessions one token may hold (default: `maxSessions`). */
  maxSessionsPerToken?: number;
  /** How often the owners' tokens are re-checked (default 15 s, `RECHECK_MS` in manager.ts). */
  recheckMs?: number;
  /** `VIGIL_PUSH_ALLOW`: push targets allowed although local (default none). */
  pushAllow?: readonly PushAllowEntry[];
  /** The ports this box listens on, which pushes may not reach (default none). */
  ownPorts?: () => readonly number[];
}

/** The live manager. */
export interface LiveManager {
  open(request: OpenRequest): Promise<SessionInfo>;
  get(id: string): SessionInfo;
  list(): SessionInfo[];
  setQuality(id: string, quality: OpenRequest["quality"]): Promise<SessionInfo>;
  close(id: string): Promise<void>;
  /** Ends every session of a camera at once (its lease moved to another box); resolves when ended. */
  endCameraSessions(cameraId: string, reason: string): Promise<void>;
  /** The session's HLS sink (404 for unknown sessions and other outputs). */
  hls(id: string): HlsSink;
  /** The session's MJPEG sink. */
  mjpeg(id: string): MjpegSink;
  /** Transcoders running now, and how many of them encode. */
  counts(): { sessions: number; transcoders: number; encoding: number };
  /** The process group (tests check that no ffmpeg is left). */
  readonly processes: ProcessGroup;
  stop(): Promise<void>;
}
