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
 * A host as URLs and ONVIF addresses may spell it: rtsp: URLs keep a name's case, and an IPv6
 * address comes with or without brackets.
 */
function comparableHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return bare.toLowerCase();
}
