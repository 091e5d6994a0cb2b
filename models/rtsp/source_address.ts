/**
 * Where a camera source listens: the host and TCP port a liveness probe connects to (the RTSP
 * control connection, whatever transport the media use).
 *
 * @module
 */

/** Default TCP port of each source scheme. */
const DEFAULT_PORTS: Record<string, number> = { rtsp: 554, rtsps: 322, http: 80, https: 443 };

/** A host and port to connect to. */
export interface SourceAddress {
  /** Host name or IP address (an IPv6 address without brackets). */
  hostname: string;
  port: number;
}

/**
 * The address of a source URL.
 *
 * @param url the camera URL (credentials allowed, ignored)
 * @returns its host and port (the scheme's default when the URL names none), or `null` for a URL
 *   that does not parse or has a scheme without a default port
 * @example
 * ```ts
 * sourceAddress("rtsp://u:p@[::1]/s"); // { hostname: "::1", port: 554 }
 * ```
 */
export function sourceAddress(url: string): SourceAddress | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = parsed.protocol.replace(/:$/, "").toLowerCase();
  const port = parsed.port === "" ? DEFAULT_PORTS[scheme] : Number(parsed.port);
  if (port === undefined || parsed.hostname === "") return null;
  return { hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}
