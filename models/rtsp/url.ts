/**
 * Request targets of the relay: `rtsp://host:port/cam/<id>?exp=…&sig=…`, the same with a track
 * suffix for SETUP (`…/trackID=0`), an absolute path, or `*`. Paths are checked against a small
 * alphabet before they name anything, so no path can smuggle `..`, a control character or a
 * percent escape into a map key, a log line or an ffmpeg argument.
 *
 * @module
 */

/** Longest path accepted. */
export const MAX_PATH_LENGTH = 256;

/** A parsed request URI. */
export interface RequestTarget {
  /** The path without query and trailing slash (`/cam/1/trackID=0`), or `*`. */
  path: string;
  /** Query parameters (first value of each name). */
  query: Record<string, string>;
}

const SEGMENT = /^[A-Za-z0-9._~=-]+$/;

/**
 * Parses and checks a request URI.
 *
 * @param uri the URI of the request line
 * @returns path and query, or `null` when the URI is malformed or the path is not acceptable
 * @example
 * ```ts
 * parseTarget("rtsp://127.0.0.1:8554/cam/a1?sig=x&exp=9");
 * // { path: "/cam/a1", query: { sig: "x", exp: "9" } }
 * ```
 */
export function parseTarget(uri: string): RequestTarget | null {
  if (uri === "*") return { path: "*", query: {} };
  let rest: string;
  const absolute = /^rtsps?:\/\/[^/?#]*(.*)$/i.exec(uri);
  if (absolute) rest = absolute[1]!;
  else if (uri.startsWith("/")) rest = uri;
  else return null;
  if (rest === "") rest = "/";
  const q = rest.indexOf("?");
  let path = q === -1 ? rest : rest.slice(0, q);
  let queryText = q === -1 ? "" : rest.slice(q + 1);
  // A client that appends a relative control to a base URL with a query ends up with
  // `?exp=…&sig=…/trackID=0` (ffmpeg does): the suffix belongs to the path.
  const tail = /\/([A-Za-z0-9._~=-]+)$/.exec(queryText);
  if (tail && q !== -1 && /^(trackID|streamid)=\d+$/.test(tail[1]!)) {
    path = `${path.replace(/\/$/, "")}/${tail[1]}`;
    queryText = queryText.slice(0, tail.index);
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (!validPath(path)) return null;
  const query: Record<string, string> = {};
  for (const pair of queryText.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? "" : pair.slice(eq + 1);
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(name) || !/^[A-Za-z0-9_.~-]{0,256}$/.test(value)) {
      return null;
    }
    if (!(name in query)) query[name] = value;
  }
  return { path, query };
}

/**
 * Whether a path is one the relay may serve: `/`-separated segments of letters, digits and
 * `. _ ~ = -`, no `.`/`..` segment, at most {@linkcode MAX_PATH_LENGTH} characters.
 *
 * @param path candidate
 * @returns true when acceptable
 * @example
 * ```ts
 * validPath("/cam/0192f0c1"); // true
 * validPath("/cam/../etc"); // false
 * ```
 */
export function validPath(path: string): boolean {
  if (path.length < 2 || path.length > MAX_PATH_LENGTH || !path.startsWith("/")) return false;
  return path.slice(1).split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..");
}

/**
 * Splits a reader's SETUP path into the stream path and the track it names (`trackID=N`, as in
 * the SDP the relay serves).
 *
 * @param path a SETUP path
 * @returns the stream path and track index, or `null` when the path names no track
 * @example
 * ```ts
 * splitTrack("/cam/1/trackID=1"); // { path: "/cam/1", track: 1 }
 * ```
 */
export function splitTrack(path: string): { path: string; track: number } | null {
  const m = /^(\/.+)\/trackID=(\d{1,2})$/.exec(path);
  return m ? { path: m[1]!, track: Number(m[2]) } : null;
}
