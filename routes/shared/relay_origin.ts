/**
 * Where a client dials the RTSP relay: the routes that hand out relay URLs (signed relay URLs,
 * live sessions, the dispatcher) all name the relay the same way.
 *
 * @module
 */

/**
 * `rtsp://host:port` of the relay as a client should dial it: the address it listens on, or — when
 * it listens on every address — the host the client reached the API on.
 *
 * @param server the relay's server
 * @param requestHost the hostname the client used (or the configured public one)
 * @returns the origin, IPv6 hosts in brackets
 * @example
 * ```ts
 * relayOrigin({ hostname: "0.0.0.0", port: 8554 }, "192.168.1.5"); // "rtsp://192.168.1.5:8554"
 * ```
 */
export function relayOrigin(
  server: { hostname: string; port: number },
  requestHost: string,
): string {
  const wildcard = server.hostname === "0.0.0.0" || server.hostname === "::";
  const host = wildcard ? requestHost : server.hostname;
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `rtsp://${hostPart}:${server.port}`;
}
