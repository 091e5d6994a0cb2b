/**
 * SDP (RFC 8866) as far as a relay needs it: split a publisher's description into its media
 * sections, read each one's codec and control, and write the description readers get — the
 * publisher's media lines untouched (codec parameters, `sprop-parameter-sets` for a decoder that
 * joins late), with Vigil's own session header and `trackID=N` controls. Nothing here decodes
 * media.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";

/** Longest SDP accepted from a publisher. */
export const MAX_SDP_BYTES = 16384;
/** Most media sections accepted (video, audio, a few more). */
export const MAX_MEDIA = 8;

/** One `m=` section. */
export interface SdpMedia {
  /** `video`, `audio`, `application`... */
  type: string;
  /** The payload type numbers of the `m=` line, e.g. `["96"]`. */
  formats: string[];
  /** `a=control` value, if any. */
  control: string | undefined;
  /** Encoding of the first format (upper case, e.g. `H264`, `MPEG4-GENERIC`, `PCMA`). */
  encoding: string;
  /** RTP clock rate of the first format in Hz. */
  clockRate: number;
  /** `a=fmtp` parameters of the first format, as written. */
  fmtp: string | undefined;
  /** Every line of the section (`m=` first) as received. */
  lines: string[];
}

/** A parsed session description. */
export interface Sdp {
  /** Session-level lines (before the first `m=`). */
  session: string[];
  /** The media sections in order. */
  media: SdpMedia[];
}

/** Static payload types (RFC 3551) a publisher may use without `a=rtpmap`. */
const STATIC: Readonly<Record<string, [string, number]>> = {
  "0": ["PCMU", 8000],
  "8": ["PCMA", 8000],
  "9": ["G722", 8000],
  "14": ["MPA", 90000],
  "26": ["JPEG", 90000],
  "32": ["MPV", 90000],
  "33": ["MP2T", 90000],
};

/**
 * Parses a publisher's SDP.
 *
 * @param text the ANNOUNCE body
 * @returns session lines and media sections
 * @throws {ValidationError} when it is too large, not SDP, has no or too many media sections, or
 *   a media section has no usable payload type
 * @example
 * ```ts
 * parseSdp("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" +
 *   "a=rtpmap:96 H264/90000\r\na=control:streamid=0\r\n").media[0].encoding; // "H264"
 * ```
 */
export function parseSdp(text: string): Sdp {
  const fail = (why: string): never => {
    throw new ValidationError(`sdp: ${why}`, "sdp", 400);
  };
  if (text.length > MAX_SDP_BYTES) fail(`longer than ${MAX_SDP_BYTES} bytes`);
  const lines = text.split(/\r?\n/).filter((l) => l !== "");
  if (lines[0] !== "v=0") fail("must start with v=0");
  const session: string[] = [];
  const sections: string[][] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) fail(`malformed line ${JSON.stringify(line.slice(0, 40))}`);
    if (line.startsWith("m=")) sections.push([line]);
    else if (sections.length > 0) sections[sections.length - 1]!.push(line);
    else session.push(line);
  }
  if (sections.length === 0) fail("has no media section");
  if (sections.length > MAX_MEDIA) fail(`has more than ${MAX_MEDIA} media sections`);
  return { session, media: sections.map((s) => parseMedia(s, fail)) };
}

function parseMedia(lines: string[], fail: (why: string) => never): SdpMedia {
  const m = /^m=([a-z]+) \d+(?:\/\d+)? (\S+) ([0-9 ]+)$/.exec(lines[0]!);
  if (!m) return fail(`malformed media line ${JSON.stringify(lines[0]!.slice(0, 60))}`);
  const formats = m[3]!.trim().split(/ +/);
  const first = formats[0]!;
  const attr = (name: string) => {
    const prefix = `a=${name}:`;
    return lines.find((l) => l.startsWith(prefix))?.slice(prefix.length);
  };
  const rtpmap = lines.map((l) => /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(l))
    .find((r) => r?.[1] === first);
  const known = rtpmap ? [rtpmap[2]!.toUpperCase(), Number(rtpmap[3])] as const : STATIC[first];
  if (!known) return fail(`payload type ${first} has no a=rtpmap`);
  const fmtp = lines.map((l) => /^a=fmtp:(\d+) (.*)$/.exec(l)).find((r) => r?.[1] === first)?.[2];
  return {
    type: m[1]!,
    formats,
    control: attr("control"),
    encoding: known[0],
    clockRate: known[1],
    fmtp,
    lines,
  };
}

/**
 * The SDP readers get: Vigil's session header, and each media section as the publisher sent it
 * except its connection line and control, which becomes `trackID=<index>`.
 *
 * @param sdp the publisher's description
 * @param name the session name (the path)
 * @param sessionId a number for the `o=` line
 * @returns the description, CRLF-terminated lines
 * @example
 * ```ts
 * readerSdp(parseSdp(announced), "/cam/1", 1); // "...m=video 0 RTP/AVP 96\r\n...a=control:trackID=0\r\n"
 * ```
 */
export function readerSdp(sdp: Sdp, name: string, sessionId: number): string {
  const out = [
    "v=0",
    `o=- ${sessionId} 1 IN IP4 0.0.0.0`,
    `s=${name.replace(/[\r\n]/g, "")}`,
    "c=IN IP4 0.0.0.0",
    "t=0 0",
    "a=control:*",
    "a=tool:vigil",
  ];
  sdp.media.forEach((media, index) => {
    const [mLine, ...rest] = media.lines;
    // A relay's readers use the interleaved channels of their own SETUP: the port says nothing.
    out.push(mLine!.replace(/^(m=[a-z]+) \d+/, "$1 0"));
    for (const line of rest) {
      if (line.startsWith("a=control:") || line.startsWith("c=")) continue;
      out.push(line);
    }
    out.push(`a=control:trackID=${index}`);
  });
  return out.join("\r\n") + "\r\n";
}

/**
 * Whether a new publisher's media can continue an old one's for readers already playing: the
 * same sections with the same codecs, clock rates and codec parameters (a changed
 * `sprop-parameter-sets` means a new picture size, which a reader must learn by reconnecting).
 *
 * @param a the description readers have
 * @param b the new publisher's
 * @returns true when readers can keep reading
 * @example
 * ```ts
 * sameMedia(parseSdp(first), parseSdp(second)); // true after a camera restart with same settings
 * ```
 */
export function sameMedia(a: Sdp, b: Sdp): boolean {
  return a.media.length === b.media.length &&
    a.media.every((m, i) => {
      const n = b.media[i]!;
      return m.type === n.type && m.encoding === n.encoding && m.clockRate === n.clockRate &&
        m.formats[0] === n.formats[0] && normalizeFmtp(m.fmtp) === normalizeFmtp(n.fmtp);
    });
}

/**
 * Whether a new publisher can continue an old one for readers that learn a new picture size in
 * band (a live session's quality switch: the parameter sets come with each keyframe): the same
 * sections, codecs, clock rates and payload types; codec parameters may differ.
 *
 * @param a the description readers have
 * @param b the new publisher's
 * @returns true when readers can keep reading
 * @example
 * ```ts
 * sameCodecs(parseSdp(at1080p), parseSdp(at360p)); // true: both H264/90000 on 96
 * ```
 */
export function sameCodecs(a: Sdp, b: Sdp): boolean {
  return a.media.length === b.media.length &&
    a.media.every((m, i) => {
      const n = b.media[i]!;
      return m.type === n.type && m.encoding === n.encoding && m.clockRate === n.clockRate &&
        m.formats[0] === n.formats[0];
    });
}

/**
 * The H.264 parameter sets (SPS, PPS) of a section's `sprop-parameter-sets` (RFC 6184 §8.1).
 *
 * @param fmtp the section's `a=fmtp` parameters
 * @returns the NAL units, none when absent or malformed
 * @example
 * ```ts
 * spropParameterSets("packetization-mode=1;sprop-parameter-sets=Z0IAHpWoKA9k,aM48gA=="); // [sps, pps]
 * ```
 */
export function spropParameterSets(fmtp: string | undefined): Uint8Array[] {
  const value = /(?:^|;)\s*sprop-parameter-sets=([^;]*)/i.exec(fmtp ?? "")?.[1]?.trim();
  if (!value) return [];
  try {
    return value.split(",").filter((b) => b !== "").map((b) => Uint8Array.fromBase64(b));
  } catch {
    return [];
  }
}

function normalizeFmtp(fmtp: string | undefined): string {
  return (fmtp ?? "").split(";").map((p) => p.trim()).filter((p) => p !== "").sort().join(";");
}

/**
 * Finds the media section a control URL of a publisher's SETUP names.
 *
 * @param sdp the publisher's description
 * @param path the SETUP request's path (e.g. `/cam/1/streamid=0`)
 * @returns the section index, or -1
 * @example
 * ```ts
 * mediaIndexForControl(sdp, "/cam/1/streamid=1"); // 1 when a=control:streamid=1
 * ```
 */
export function mediaIndexForControl(sdp: Sdp, path: string): number {
  const last = path.slice(path.lastIndexOf("/") + 1);
  const byControl = sdp.media.findIndex((m) => {
    if (m.control === undefined || m.control === "*") return false;
    if (/^rtsps?:\/\//i.test(m.control)) {
      try {
        return new URL(m.control.replace(/^rtsps?:/i, "http:")).pathname === path;
      } catch {
        return false;
      }
    }
    return m.control === last || path.endsWith(`/${m.control}`);
  });
  if (byControl !== -1) return byControl;
  // One section without a control: the aggregate URL stands for it.
  return sdp.media.length === 1 && sdp.media[0]!.control === undefined ? 0 : -1;
}
