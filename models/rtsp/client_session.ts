/**
 * The pure half of Vigil's own RTSP client (actors/stream/rtsp_client.ts): which sources it pulls
 * itself and which stay with ffmpeg, where a camera URL connects, the URL each track is set up
 * at, the `Session` header, and how often the session is kept alive. Why a client of our own:
 * docs/decisions/own-rtsp-client.md.
 *
 * @module
 */

import type { Sdp } from "./sdp.ts";

/** Default RTSP port (RFC 2326 §3.2). */
export const RTSP_DEFAULT_PORT = 554;
/** Session timeout assumed when a server names none (RFC 2326 §12.37). */
export const DEFAULT_SESSION_TIMEOUT_S = 60;
/** Longest pause between two keep-alives, whatever the timeout. */
export const MAX_KEEPALIVE_MS = 30_000;
/** Shortest pause between two keep-alives (a server announcing a tiny timeout). */
export const MIN_KEEPALIVE_MS = 1000;

/** Who pulls a source: Vigil's own client, or an `ffmpeg -c copy` process. */
export type PullEngine = "client" | "ffmpeg";

/**
 * Who pulls a source. The client speaks plain RTSP with RTP interleaved over TCP; everything
 * else (rtsps, http, a camera set to UDP) stays with ffmpeg.
 *
 * @param url the source URL
 * @param transport the camera's configured RTSP transport
 * @returns `client` for `rtsp://` over TCP, otherwise `ffmpeg`
 * @example
 * ```ts
 * pullEngine("rtsp://cam/s", "tcp"); // "client"
 * pullEngine("rtsps://cam/s", "tcp"); // "ffmpeg"
 * ```
 */
export function pullEngine(url: string, transport: "tcp" | "udp" | undefined): PullEngine {
  return /^rtsp:\/\//i.test(url) && transport !== "udp" ? "client" : "ffmpeg";
}

/**
 * Where a camera URL connects.
 *
 * @param url a bare `rtsp://` URL (credentials split off)
 * @returns host name (IPv6 without brackets) and port (554 when absent)
 * @example
 * ```ts
 * connectAddress("rtsp://[::1]:8554/s"); // { hostname: "::1", port: 8554 }
 * ```
 */
export function connectAddress(url: string): { hostname: string; port: number } {
  const parsed = new URL(url);
  return {
    hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port === "" ? RTSP_DEFAULT_PORT : Number(parsed.port),
  };
}

/**
 * The URL a track is set up at (RFC 2326 §C.1.1): an absolute control as it is, `*` or none the
 * base itself, a relative one appended to the base (`Content-Base` of the DESCRIBE reply, else
 * the URL described).
 *
 * @param base the base URL
 * @param control the track's `a=control` value
 * @returns the SETUP URL
 * @example
 * ```ts
 * trackUrl("rtsp://cam/s/", "trackID=1"); // "rtsp://cam/s/trackID=1"
 * trackUrl("rtsp://cam/s?x=1", "trackID=1"); // "rtsp://cam/s?x=1/trackID=1"
 * ```
 */
export function trackUrl(base: string, control: string | undefined): string {
  if (control === undefined || control === "*" || control === "") return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return base.endsWith("/") ? base + control : `${base}/${control}`;
}

/**
 * The URL of the whole session (PLAY, TEARDOWN): the session-level `a=control` resolved against the
 * base, else the base.
 *
 * @param base the base URL
 * @param sessionLines the SDP's session-level lines
 * @returns the aggregate URL
 * @example
 * ```ts
 * aggregateUrl("rtsp://cam/s/", ["v=0", "a=control:rtsp://cam/s"]); // "rtsp://cam/s"
 * ```
 */
export function aggregateUrl(base: string, sessionLines: readonly string[]): string {
  const control = sessionLines.find((l) => l.startsWith("a=control:"))?.slice(10).trim();
  return trackUrl(base, control);
}

/**
 * Reads a reply's `Session` header.
 *
 * @param value the header value
 * @returns the session id and its timeout in seconds, or null when malformed
 * @example
 * ```ts
 * parseSessionHeader("6D2F1A;timeout=30"); // { id: "6D2F1A", timeoutS: 30 }
 * ```
 */
export function parseSessionHeader(
  value: string | undefined,
): { id: string; timeoutS: number } | null {
  const m = /^\s*([A-Za-z0-9$\-_.+]{1,128})\s*(?:;\s*timeout\s*=\s*(\d{1,6}))?\s*(?:;.*)?$/.exec(
    value ?? "",
  );
  if (!m) return null;
  const timeout = m[2] === undefined ? DEFAULT_SESSION_TIMEOUT_S : Number(m[2]);
  return { id: m[1]!, timeoutS: timeout > 0 ? timeout : DEFAULT_SESSION_TIMEOUT_S };
}

/**
 * How often a playing session is kept alive: half its timeout, between
 * {@linkcode MIN_KEEPALIVE_MS} and {@linkcode MAX_KEEPALIVE_MS}.
 *
 * @param timeoutS the session timeout the server announced
 * @returns the pause between keep-alives, ms
 * @example
 * ```ts
 * keepAliveMs(60); // 30000
 * ```
 */
export function keepAliveMs(timeoutS: number): number {
  return Math.min(MAX_KEEPALIVE_MS, Math.max(MIN_KEEPALIVE_MS, (timeoutS * 1000) / 2));
}

/**
 * The media sections the client sets up: RTP over the AVP profiles (a camera's video, its
 * audio and ONVIF metadata, whatever the codec: the relay passes payloads through). A section
 * of another profile (SRTP, an MPEG-TS over UDP) is left out of what the relay publishes.
 *
 * @param sdp the camera's description
 * @returns the description of the sections set up, in order
 * @throws {RangeError} when no section can be set up
 * @example
 * ```ts
 * pullableMedia(parseSdp(cameraSdp)).media.length; // 2 for video + audio
 * ```
 */
export function pullableMedia(sdp: Sdp): Sdp {
  const media = sdp.media.filter((m) => /^m=\S+ \d+(?:\/\d+)? RTP\/AVPF?\s/.test(m.lines[0]!));
  if (media.length === 0) throw new RangeError("rtsp client: no RTP/AVP media in the SDP");
  return { session: sdp.session, media };
}

/**
 * Whether a server's `Public` header offers GET_PARAMETER (the keep-alive that does not restart
 * anything); otherwise OPTIONS keeps the session alive.
 *
 * @param publicHeader the OPTIONS reply's `Public` value
 * @returns the keep-alive method
 * @example
 * ```ts
 * keepAliveMethod("OPTIONS, DESCRIBE, GET_PARAMETER"); // "GET_PARAMETER"
 * ```
 */
export function keepAliveMethod(publicHeader: string | undefined): "GET_PARAMETER" | "OPTIONS" {
  const methods = (publicHeader ?? "").split(",").map((m) => m.trim().toUpperCase());
  return methods.includes("GET_PARAMETER") ? "GET_PARAMETER" : "OPTIONS";
}
