/**
 * The client side of RTSP authentication, for Vigil's own RTSP client pulling a camera: read the
 * camera's `WWW-Authenticate` challenges, pick the one to answer (Digest over Basic: Basic sends
 * the password in clear), and write the `Authorization` header of each request (a Digest answer
 * depends on the method and URI). The server side is auth.ts, whose Digest arithmetic this reuses.
 *
 * @module
 */

import { digestResponse } from "./auth.ts";

/** Longest challenge considered; real ones are ~100–300 bytes. */
export const MAX_CHALLENGE_LENGTH = 2048;
/** Most `WWW-Authenticate` headers looked at. */
export const MAX_CHALLENGES = 8;

/** A challenge the client can answer. */
export type Challenge =
  | { scheme: "basic"; realm: string }
  | {
    scheme: "digest";
    realm: string;
    nonce: string;
    /** Echoed back unchanged when present. */
    opaque: string | undefined;
    /** `auth` when the server offers it (then `nc` and `cnonce` are sent). */
    qop: "auth" | undefined;
    /** The server says the nonce expired, not that the credentials were wrong. */
    stale: boolean;
  };

/** A user name and password. */
export interface ClientCredentials {
  username: string;
  password: string;
}

/**
 * Parses one `WWW-Authenticate` value.
 *
 * @param value the header value
 * @returns the challenge, or `null` when it is malformed, oversized, of another scheme, or a
 *   Digest with an algorithm other than MD5 (the only one RTSP cameras use)
 * @example
 * ```ts
 * parseChallenge('Digest realm="cam", nonce="abc"');
 * // { scheme: "digest", realm: "cam", nonce: "abc", opaque: undefined, qop: undefined, stale: false }
 * ```
 */
export function parseChallenge(value: string): Challenge | null {
  if (value.length > MAX_CHALLENGE_LENGTH) return null;
  const m = /^\s*(\S+)\s*(.*)$/s.exec(value);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const params = parseParams(m[2]!);
  if (!params) return null;
  if (scheme === "basic") return { scheme: "basic", realm: params.realm ?? "" };
  if (scheme !== "digest") return null;
  if (params.realm === undefined || !params.nonce) return null;
  if (params.algorithm !== undefined && params.algorithm.toUpperCase() !== "MD5") return null;
  const qops = (params.qop ?? "").split(",").map((q) => q.trim().toLowerCase());
  // A server that offers only auth-int (a hash of the body) gets no qop: RFC 2069 form.
  return {
    scheme: "digest",
    realm: params.realm,
    nonce: params.nonce,
    opaque: params.opaque,
    qop: qops.includes("auth") ? "auth" : undefined,
    stale: params.stale?.toLowerCase() === "true",
  };
}

/**
 * The challenge to answer among a reply's `WWW-Authenticate` values: the first Digest, else the
 * first Basic when no Digest is offered at all.
 *
 * @param values every `WWW-Authenticate` value of the reply, in order
 * @returns the challenge, or `null` when none can be answered
 * @example
 * ```ts
 * pickChallenge(['Basic realm="cam"', 'Digest realm="cam", nonce="n"']).scheme; // "digest"
 * ```
 */
export function pickChallenge(values: readonly string[]): Challenge | null {
  const offered = values.slice(0, MAX_CHALLENGES);
  const parsed = offered.map(parseChallenge);
  const digest = parsed.find((c) => c?.scheme === "digest");
  if (digest) return digest;
  // A camera that offers Digest gets no password in clear, even when its Digest is one this
  // client cannot answer (SHA-256, MD5-sess, malformed): ffmpeg, which pulled before, fails then.
  if (offered.some((v) => /^\s*digest(?:\s|$)/i.test(v))) return null;
  return parsed.find((c) => c?.scheme === "basic") ?? null;
}

/**
 * The `Authorization` value answering `challenge` for one request.
 *
 * @param challenge the challenge picked
 * @param credentials user name and password
 * @param request the method and the request URI (Digest hashes both)
 * @param nc how many requests this nonce has answered, this one included (Digest with qop)
 * @param cnonce the client nonce (Digest with qop)
 * @returns the header value
 * @example
 * ```ts
 * authorization({ scheme: "basic", realm: "cam" }, { username: "u", password: "p" },
 *   { method: "DESCRIBE", uri: "rtsp://cam/s" }, 1, "c"); // "Basic dTpw"
 * ```
 */
export function authorization(
  challenge: Challenge,
  credentials: ClientCredentials,
  request: { method: string; uri: string },
  nc: number,
  cnonce: string,
): string {
  if (challenge.scheme === "basic") {
    const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
    return `Basic ${bytes.toBase64()}`;
  }
  const count = nc.toString(16).padStart(8, "0");
  const response = digestResponse(
    {
      username: credentials.username,
      realm: challenge.realm,
      nonce: challenge.nonce,
      uri: request.uri,
      qop: challenge.qop,
      nc: challenge.qop ? count : undefined,
      cnonce: challenge.qop ? cnonce : undefined,
    },
    credentials.password,
    request.method,
  );
  const parts = [
    `username="${quoted(credentials.username)}"`,
    `realm="${quoted(challenge.realm)}"`,
    `nonce="${quoted(challenge.nonce)}"`,
    `uri="${quoted(request.uri)}"`,
    `response="${response}"`,
    "algorithm=MD5",
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque="${quoted(challenge.opaque)}"`);
  if (challenge.qop) parts.push("qop=auth", `nc=${count}`, `cnonce="${quoted(cnonce)}"`);
  return `Digest ${parts.join(", ")}`;
}

/** `name=value` pairs of a challenge (quoted or token values); null when malformed. */
function parseParams(rest: string): Record<string, string> | null {
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  let at = 0;
  let match: RegExpExecArray | null;
  while (at < rest.length && (match = re.exec(rest)) !== null) {
    if (match[0] === "") return null;
    at = re.lastIndex;
    const name = match[1]!.toLowerCase();
    if (!(name in params)) {
      params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3] ?? "";
    }
  }
  return rest.slice(at).trim() === "" ? params : null;
}

function quoted(text: string): string {
  return text.replace(/[\\"]/g, "\\$&");
}
