/**
 * The rule for a camera's other stream URLs (`recordUrl`, `analysisUrl`): a source URL like
 * `rtspUrl`, without credentials of its own (a camera has one account for all its streams; its
 * stored credentials apply, so none is ever kept in clear), on the camera's own host: the
 * camera's credentials are sent to it, and a camera's password goes only to that camera
 * (SECURITY.md).
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { validateSourceUrl } from "./rtsp_url.ts";

/** The camera fields that name another stream of the same camera. */
export type CameraStreamField = "recordUrl" | "analysisUrl";

/**
 * Checks one of a camera's other stream URLs.
 *
 * @param field which URL (named in the error)
 * @param raw the URL as given
 * @param cameraHost the camera's host (its `rtspUrl`'s, or the ONVIF device's address)
 * @returns the normalised URL
 * @throws {ValidationError} for a bad URL, one that carries credentials or one on another host
 * @example
 * ```ts
 * cameraStreamUrl("analysisUrl", "rtsp://10.0.0.5/sub", "10.0.0.5"); // "rtsp://10.0.0.5/sub"
 * ```
 */
export function cameraStreamUrl(field: CameraStreamField, raw: string, cameraHost: string): string {
  const valid = validateSourceUrl(raw, { field });
  if (valid.username !== "" || valid.password !== "") {
    throw new ValidationError(`${field} must not carry credentials: the camera's apply`, field);
  }
  if (comparableHost(valid.hostname) !== comparableHost(cameraHost)) {
    throw new ValidationError(
      `${field} must be on the camera's host (${cameraHost}): the camera's credentials are ` +
        "sent to it",
      field,
    );
  }
  return valid.href;
}

/**
 * Whether a stored URL is on the camera's host: the one check before the camera's credentials
 * are added to it (rows stored before the rule, or changed by two requests at once, are not
 * trusted to have passed {@link cameraStreamUrl}).
 *
 * @param url a stored stream URL
 * @param cameraHost the camera's host
 * @returns true when the URL parses and names that host
 * @example
 * ```ts
 * onCameraHost("rtsp://10.0.0.5/sub", "10.0.0.5"); // true
 * ```
 */
export function onCameraHost(url: string, cameraHost: string): boolean {
  try {
    return comparableHost(new URL(url).hostname) === comparableHost(cameraHost);
  } catch {
    return false;
  }
}

/**
 * The same stream URL on the camera's new host (an ONVIF camera that moved: the same device,
 * checked by the move): port, path and query kept.
 *
 * @param url the stored URL
 * @param host the new host
 * @returns the URL on the new host, or undefined when it does not parse
 * @example
 * ```ts
 * movedToHost("rtsp://10.0.0.5:8554/sub", "10.0.0.9"); // "rtsp://10.0.0.9:8554/sub"
 * ```
 */
export function movedToHost(url: string, host: string): string | undefined {
  try {
    const moved = new URL(url);
    moved.hostname = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    // The setter ignores a host it cannot take: never hand back the URL on its old host.
    return onCameraHost(moved.href, host) ? moved.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A host as URLs and ONVIF addresses may spell it: rtsp: URLs keep a name's case, and an IPv6
 * address comes with or without brackets.
 */
function comparableHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return bare.toLowerCase();
}
