/**
 * The stream-URI quirk fix: many cameras report stream and snapshot URIs with a host that cannot be
 * reached from Vigil (`0.0.0.0`, an internal IP behind NAT, the address before a DHCP change).
 * The host we reached the device at is the one that works, so the URI's host is replaced by it;
 * path, query and port are kept (the RTSP port is the camera's choice, not the ONVIF port).
 *
 * @module
 */
import { OnvifError } from "./onvif_error.ts";

/** A URI after the fix, and whether it changed. */
export interface FixedUri {
  uri: string;
  /** True when the host was replaced. */
  rewritten: boolean;
}

/**
 * Points a stream or snapshot URI at the device's host.
 *
 * @param uri as reported by GetStreamUri / GetSnapshotUri
 * @param deviceHost the host (name or IP; IPv6 with or without brackets) the device answered at
 * @param port when set, also replaces the port (a port-forwarded camera)
 * @returns the fixed URI
 * @throws {OnvifError} `onvif_bad_reply` when the URI does not parse or has no host
 * @example
 * ```ts
 * fixUriHost("rtsp://0.0.0.0:554/stream1?x=1", "192.168.1.20").uri;
 * // "rtsp://192.168.1.20:554/stream1?x=1"
 * ```
 */
export function fixUriHost(uri: string, deviceHost: string, port?: number): FixedUri {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw new OnvifError(
      "onvif_bad_reply",
      `onvif: media URI is not a URL: ${JSON.stringify(uri)}`,
    );
  }
  if (!url.hostname) {
    throw new OnvifError("onvif_bad_reply", `onvif: media URI has no host: ${JSON.stringify(uri)}`);
  }
  const host = deviceHost.includes(":") && !deviceHost.startsWith("[")
    ? `[${deviceHost}]`
    : deviceHost;
  const before = url.href;
  if (url.hostname.toLowerCase() !== host.toLowerCase()) url.hostname = host;
  if (port !== undefined && url.port !== String(port)) url.port = String(port);
  return { uri: url.href, rewritten: url.href !== before };
}
