/**
 * Where an `rtsp-push` live session may send the box's pictures. A push makes the box open a
 * connection of a user's choosing, so a target that is (or resolves to) loopback, link-local or
 * one of this box's own listening ports is refused unless `VIGIL_PUSH_ALLOW` lists it. The target
 * is parsed with `URL`; its password is kept apart from it, so no view or log of the target can
 * show it. The actor side (actors/live/push_check.ts) resolves the name and applies
 * {@linkcode pushRefusal}; see SECURITY.md.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";
import { addressText, effectiveAddress } from "./ip_address.ts";

/** A push target, its password apart. */
export interface PushTarget {
  /** `rtsp(s)://[user@]host[:port]/path` without the password: safe to show and log. */
  shown: string;
  /** The password exactly as written (ffmpeg reads it so); null when the URL has none. */
  password: string | null;
  /** Host name or address as the URL names it (IPv6 without brackets), lower case. */
  host: string;
  /** Port, the scheme's default when the URL names none. */
  port: number;
}

/** One entry of `VIGIL_PUSH_ALLOW`: a host (any port), or a host and port. */
export interface PushAllowEntry {
  host: string;
  port: number | null;
}

const DEFAULT_PORTS: Record<string, number> = { "rtsp:": 554, "rtsps:": 322 };

/**
 * Parses a target already checked by `targetProblem` (models/media/live_args.ts).
 *
 * @param raw an `rtsp://` or `rtsps://` URL
 * @returns the target with its password apart
 * @throws {ValidationError} naming `target` when `URL` cannot parse it
 * @example
 * ```ts
 * parsePushTarget("rtsp://pub:p@ss@media/x").shown; // "rtsp://pub@media/x"
 * ```
 */
export function parsePushTarget(raw: string): PushTarget {
  if (!URL.canParse(raw)) throw new ValidationError("target must be a URL", "target");
  const url = new URL(raw);
  // As ffmpeg splits it: the user info ends at the authority's last `@`.
  const authority = raw.slice(raw.indexOf("//") + 2).split(/[/?#]/)[0] ?? "";
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  const password = url.password === "" || at < 0 || colon < 0 || colon > at
    ? null
    : authority.slice(colon + 1, at);
  url.password = "";
  const host = unbracket(url.hostname.toLowerCase());
  const port = url.port === ""
    ? DEFAULT_PORTS[url.protocol.toLowerCase()] ?? 554
    : Number(url.port);
  return { shown: url.href, password, host, port };
}

/**
 * The URL the pushing ffmpeg is given: the target with its password put back.
 *
 * @param target a parsed target
 * @returns the full URL (never log it)
 */
export function pushUrl(target: PushTarget): string {
  if (target.password === null) return target.shown;
  const start = target.shown.indexOf("//") + 2;
  const authority = target.shown.slice(start).split(/[/?#]/)[0] ?? "";
  const at = authority.lastIndexOf("@");
  // `rtsp://:secret@host`: the user is empty, so the shown URL has no user info at all.
  if (at < 0) {
    return `${target.shown.slice(0, start)}:${target.password}@${target.shown.slice(start)}`;
  }
  const end = start + at;
  return `${target.shown.slice(0, end)}:${target.password}${target.shown.slice(end)}`;
}

/**
 * Parses `VIGIL_PUSH_ALLOW`: comma-separated `host` or `host:port` (`[v6]` or `[v6]:port`).
 *
 * @param raw the variable's value (empty: nothing allowed)
 * @returns the entries
 * @throws {ValidationError} naming `VIGIL_PUSH_ALLOW` and the bad entry
 * @example
 * ```ts
 * parsePushAllow("media.lan, 127.0.0.1:8554"); // [{host:"media.lan",port:null}, {...port:8554}]
 * ```
 */
export function parsePushAllow(raw: string): PushAllowEntry[] {
  const entries: PushAllowEntry[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/i.exec(part);
    const port = match?.[3] === undefined ? null : Number(match[3]);
    if (!match || (port !== null && (port < 1 || port > 65535))) {
      throw new ValidationError(
        `config: VIGIL_PUSH_ALLOW must be comma-separated host or host:port entries: ` +
          `${JSON.stringify(part)} is neither`,
        "VIGIL_PUSH_ALLOW",
      );
    }
    entries.push({ host: (match[1] ?? match[2]!).toLowerCase(), port });
  }
  return entries;
}

/**
 * Whether `VIGIL_PUSH_ALLOW` lets a push reach a host and port. An address matches an entry that
 * is the same address in another spelling (`[::ffff:127.0.0.1]` and `127.0.0.1`).
 *
 * @param allow the parsed entries
 * @param host host as the target names it, or an address it resolves to
 * @param port the target's port
 * @returns true when an entry names the host (and the port, if it names one)
 */
export function pushAllowed(allow: readonly PushAllowEntry[], host: string, port: number): boolean {
  const name = unbracket(host.toLowerCase());
  return allow.some((entry) =>
    (entry.host === name || sameAddress(entry.host, name)) &&
    (entry.port === null || entry.port === port)
  );
}

/**
 * Why an address must not be pushed to, if it must not: loopback, link-local, or unspecified.
 * The rule reads the address's bytes, so every spelling of an IPv6 address is caught, and an
 * IPv6 address that stands for an IPv4 one (mapped `::ffff:7f00:1`, compatible `::7f00:1`, NAT64
 * `64:ff9b::7f00:1`) is judged as that IPv4 address.
 *
 * @param address an IPv4 or IPv6 address
 * @returns `"loopback"`, `"link-local"`, `"unspecified"`, or undefined for an ordinary address
 *   (or a text that is no address literal)
 * @example
 * ```ts
 * addressProblem("127.0.0.2"); // "loopback"
 * addressProblem("::ffff:7f00:1"); // "loopback"
 * addressProblem("fe80::1"); // "link-local"
 * ```
 */
export function addressProblem(address: string): string | undefined {
  const bytes = effectiveAddress(address.toLowerCase());
  if (!bytes) return undefined;
  if (bytes.length === 4) {
    if (bytes[0] === 127) return "loopback";
    if (bytes[0] === 169 && bytes[1] === 254) return "link-local";
    if (bytes[0] === 0) return "unspecified";
    return undefined;
  }
  const zeros = bytes.subarray(0, 15).every((b) => b === 0);
  if (zeros && bytes[15] === 1) return "loopback";
  if (zeros && bytes[15] === 0) return "unspecified";
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return "link-local";
  return undefined;
}

/** What {@linkcode pushRefusal} decides on. */
export interface PushCheck {
  target: PushTarget;
  /** The addresses the target's host resolves to (the address itself for a literal). */
  addresses: readonly string[];
  /** This box's own addresses (its interfaces). */
  ownAddresses: readonly string[];
  /** The ports this box listens on (API, RTSP relay, metrics). */
  ownPorts: readonly number[];
  /** `VIGIL_PUSH_ALLOW`. */
  allow: readonly PushAllowEntry[];
}

/**
 * Why a push target is refused, if it is.
 *
 * @param check the target, what it resolves to, the box's addresses and ports, the allow list
 * @returns a message for the 422, or undefined when the push may go
 * @example
 * ```ts
 * pushRefusal({ target, addresses: ["127.0.0.1"], ownAddresses: [], ownPorts: [8554], allow: [] });
 * // "target resolves to 127.0.0.1, a loopback address: ..."
 * ```
 */
export function pushRefusal(check: PushCheck): string | undefined {
  const { target, allow } = check;
  if (pushAllowed(allow, target.host, target.port)) return undefined;
  const advice = `; list ${
    target.host.includes(":") ? `[${target.host}]` : target.host
  }:${target.port} in VIGIL_PUSH_ALLOW to allow it`;
  if (check.addresses.length === 0) return `target ${target.host} does not resolve`;
  for (const address of check.addresses) {
    if (pushAllowed(allow, address, target.port)) continue;
    const problem = addressProblem(address);
    if (problem) return `target resolves to ${spelled(address)}, a ${problem} address${advice}`;
    const own = check.ownAddresses.some((mine) => sameAddress(mine, address));
    if (own && check.ownPorts.includes(target.port)) {
      return `target ${address}:${target.port} is this box's own listening port${advice}`;
    }
  }
  return undefined;
}

/** Whether two texts are the same address, whatever their spellings (names compare as text). */
function sameAddress(a: string, b: string): boolean {
  const key = (x: string) => {
    const bytes = effectiveAddress(x.toLowerCase());
    return bytes ? addressText(bytes) : unbracket(x.toLowerCase());
  };
  return key(a) === key(b);
}

/** An address for a message: as given, plus the IPv4 address it stands for when it differs. */
function spelled(address: string): string {
  const bytes = effectiveAddress(address.toLowerCase());
  return bytes?.length === 4 && addressText(bytes) !== address
    ? `${address} (${addressText(bytes)})`
    : address;
}

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
