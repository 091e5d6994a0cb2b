/**
 * Vigil's RTSP server (see rtsp_server.ts): what it is started with and what it offers, and the
 * per-connection state its parts (access, connections, paths, reader and publisher requests)
 * share.
 *
 * @module
 */

import type { RtspConn } from "./rtsp_conn.ts";
import type { Stream, StreamPublisher, StreamReader, StreamStats } from "./rtsp_stream.ts";
import type { Sdp } from "../../models/rtsp/sdp.ts";
import type { Credentials } from "../../models/rtsp/auth.ts";

/** What a request asks the authorizer. */
export interface RtspAuthRequest {
  /** Reading a path, or publishing one. */
  action: "read" | "publish";
  /** The path as the client named it. */
  path: string;
  /** The request URI's query (a signed URL carries `exp` and `sig`). */
  query: Record<string, string>;
  /** Credentials from `Authorization`, or null. Digest ones carry a nonce this server issued. */
  credentials: Credentials | null;
  /** The request method (Digest responses depend on it). */
  method: string;
  /** The client's address (`host:port`). */
  remote: string;
  /** The client's host alone (rate limits are per host). */
  host?: string;
}

/** The authorizer's answer. */
export type RtspAuthDecision =
  | {
    allowed: true;
    internal?: boolean;
    /**
     * Re-asked every `revalidateMs` while the connection lasts; false (or a failure) closes it
     * (a token revoked after it opened the session).
     */
    stillValid?: () => Promise<boolean>;
  }
  | { allowed: false; status?: 401 | 403 };

/** A hold on a path a reader demanded; released when the reader leaves. */
export interface RtspDemand {
  /** The path to read (an alias may point at another path publishing the same source). */
  path: string;
  /** Lets the source stop (after its idle timeout) once nobody holds it. */
  release(): void;
}

/** Bounds of the server. */
export interface RtspLimits {
  /**
   * Open connections. When full, the oldest connection not yet authorised is closed to make room;
   * when every one is authorised, the newcomer is closed at once.
   */
  maxConnections: number;
  /**
   * Open connections from one non-loopback address; more are closed at once. Loopback is exempt:
   * Vigil's own pullers and consumers all come from there.
   */
  maxConnectionsPerAddress: number;
  /** External readers of one path; more get 453. */
  maxReadersPerPath: number;
  /** External readers in total; more get 453. */
  maxReaders: number;
  /** Bytes of start line and headers of a request. */
  maxHeaderBytes: number;
  /** Bytes of a request body (an SDP). */
  maxBodyBytes: number;
  /**
   * A new connection must be authorised for some path within this long; requests before that
   * (OPTIONS, GET_PARAMETER, refused ones) do not extend it.
   */
  handshakeTimeoutMs: number;
  /**
   * An authorised connection that is neither playing nor recording closes after this long without
   * a request.
   */
  sessionTimeoutMs: number;
  /** Bytes queued to a reader beyond which it is dropped for not reading. */
  readerQueueBytes: number;
  /** Bytes of packets kept since the last keyframe, for late readers. */
  gopCacheBytes: number;
  /** How long a DESCRIBE waits for a demanded path to be published. */
  demandWaitMs: number;
  /** How long readers stay attached to a path whose publisher left. */
  publisherGraceMs: number;
  /** How often the grants of open connections are re-checked (`stillValid`). */
  revalidateMs: number;
  /** Paths (per action) one connection may be authorised for or alias; more get 453. */
  maxPathsPerConnection: number;
}

/** Defaults of {@linkcode RtspLimits}. */
export const DEFAULT_LIMITS: Readonly<RtspLimits> = {
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  maxReadersPerPath: 32,
  maxReaders: 128,
  maxHeaderBytes: 8192,
  maxBodyBytes: 65536,
  handshakeTimeoutMs: 10_000,
  sessionTimeoutMs: 60_000,
  readerQueueBytes: 4 * 1024 * 1024,
  gopCacheBytes: 4 * 1024 * 1024,
  // Below ffmpeg's 5 s socket timeout of Vigil's own readers, so they see 503 rather than a hang.
  demandWaitMs: 4000,
  publisherGraceMs: 15_000,
  revalidateMs: 30_000,
  maxPathsPerConnection: 16,
};

/** Options of {@linkcode startRtspServer}. */
export interface RtspServerOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  hostname?: string;
  /** TCP port; 0 picks a free one. Default 8554. */
  port?: number;
  /** Decides every request; default: everything allowed. */
  authorize?: (request: RtspAuthRequest) => RtspAuthDecision | Promise<RtspAuthDecision>;
  /** Starts (and holds) the source of a path a reader asks for; undefined: not demandable. */
  demand?: (path: string) => RtspDemand | undefined;
  /** Challenges offered on 401, in order. Default `["basic"]`. */
  authMethods?: ("basic" | "digest")[];
  /** Realm of the challenges. Default `Vigil`. */
  realm?: string;
  /** Bounds; unset fields keep {@linkcode DEFAULT_LIMITS}. */
  limits?: Partial<RtspLimits>;
  /**
   * The user name that owns a path (the hub's live puller for it), or undefined. While a path has
   * an owner, only a connection authorised under that name may publish it, and not while another
   * connection publishes it: a leaked publish credential cannot take over a camera the hub pulls.
   */
  publishOwner?: (path: string) => string | undefined;
  /** Told when a path gets or loses its publisher. */
  onPublish?: (event: { type: "publish" | "unpublish"; path: string }) => void;
  /**
   * Paths whose publishers may change codec parameters under their readers (live sessions: a
   * quality switch brings the new size in band). Default: none.
   */
  switchable?: (path: string) => boolean;
}

/** A path published in process from another's video (see rtsp_forward.ts). */
export interface Forwarding {
  /** Settles once the target is published at a keyframe (rejects when the source is missing). */
  started: Promise<void>;
  /** Stops forwarding; the target loses its publisher unless another took it. */
  stop(): void;
}

/** A path published from inside the process (the hub's own RTSP client, rtsp_client.ts). */
export interface Publication {
  /** One packet of track `track` (RTP, or RTCP when `rtcp`); copied, so a view is fine. */
  forward(track: number, rtcp: boolean, packet: Uint8Array): void;
  /** The path loses this publisher (kept for its readers for the grace period). Idempotent. */
  unpublish(): void;
}

/** A running server. */
export interface RtspServer {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly hostname: string;
  /** `rtsp://host:port<path>` (a wildcard address becomes 127.0.0.1). */
  url(path: string): string;
  /** Numbers of a path, or null when it is not published (nor kept for its readers). */
  stats(path: string): StreamStats | null;
  /** Paths currently known. */
  paths(): string[];
  /**
   * Closes the connections reading `path`, or that asked for it under an alias: their source
   * changed and they must reconnect to get it.
   *
   * @returns how many were closed
   */
  closeReaders(path: string): number;
  /**
   * Publishes `to` with the video of `from`, in process, until stopped: a live `source` session
   * served from the hub's path without a process. Another publisher of `to` (an encoding ffmpeg)
   * takes the path from it, and it can take the path back; readers of `to` read on.
   */
  forward(from: string, to: string): Forwarding;
  /**
   * Publishes `path` from inside the process, as a publisher's RECORD does without a connection:
   * readers see no difference. A previous publisher of the path is closed; `publisher.close` is
   * told when another takes the path or the server closes.
   */
  publish(path: string, sdp: Sdp, publisher: StreamPublisher): Publication;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** A reader's RTSP session. */
export interface ReaderSession {
  kind: "reader";
  id: string;
  path: string;
  channels: ([number, number] | undefined)[];
  reader: StreamReader | null;
  internal: boolean;
}

/** A publisher's RTSP session. */
export interface PublisherSession {
  kind: "publisher";
  id: string;
  path: string;
  sdp: Sdp;
  channels: Map<number, { track: number; rtcp: boolean }>;
  stream: Stream | null;
}

/** One client connection and what it was granted, asked for and set up. */
export interface ConnState {
  conn: RtspConn;
  /** The client's host (no port), for the per-address cap. */
  host: string;
  /** The Digest nonce offered to this connection. */
  nonce: string;
  /** User name of the last authorised credentials (who publishes, see `publishOwner`). */
  user: string | null;
  /** Grants as `<action> <path>`. */
  authorized: Set<string>;
  /** Re-checks of the grants in `authorized` that may lapse (revocable tokens). */
  checks: Map<string, () => Promise<boolean>>;
  /** Authorised with Vigil's own credentials: its readers are not counted against the limits. */
  internal: boolean;
  /** Refused authorisations so far. */
  failures: number;
  /** Demanded paths held for this connection, by the path it asked for. */
  leases: Map<string, RtspDemand>;
  /** The path each asked-for path resolved to. */
  aliases: Map<string, string>;
  session: ReaderSession | PublisherSession | null;
}

/** The methods the server answers (the `Public` header). */
export const PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER, " +
  "ANNOUNCE, RECORD";
/** The session timeout announced to clients. */
export const SESSION_TIMEOUT_S = 60;
/** Failed authorisations a connection may make before it is closed. */
export const MAX_AUTH_FAILURES = 5;
