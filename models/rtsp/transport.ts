/**
 * The `Transport` header of SETUP (RFC 2326 §12.39), for the one transport the relay speaks: RTP
 * interleaved in the TCP connection. A client offering only UDP gets 461 and (ffmpeg, VLC,
 * GStreamer do) retries with TCP.
 *
 * @module
 */

/** A client's accepted TCP transport. */
export interface InterleavedTransport {
  /** RTP and RTCP channels; absent when the client leaves the choice to the server. */
  interleaved: [number, number] | undefined;
  /** `record` for a publisher, `play` otherwise. */
  mode: "play" | "record";
}

/**
 * Picks the first interleaved TCP alternative of a `Transport` header.
 *
 * @param value the header value (alternatives separated by commas)
 * @returns the transport, or `null` when no alternative is unicast RTP over TCP with sane channels
 * @example
 * ```ts
 * parseTransport("RTP/AVP/TCP;unicast;interleaved=2-3;mode=record");
 * // { interleaved: [2, 3], mode: "record" }
 * ```
 */
export function parseTransport(value: string): InterleavedTransport | null {
  for (const alternative of value.split(",")) {
    const [spec, ...params] = alternative.trim().split(";").map((p) => p.trim());
    if (!/^RTP\/AVP\/TCP$/i.test(spec ?? "")) continue;
    let interleaved: [number, number] | undefined;
    let mode: "play" | "record" = "play";
    let ok = true;
    for (const param of params) {
      const [name, raw] = param.split("=", 2) as [string, string | undefined];
      const key = name.toLowerCase();
      if (key === "multicast") ok = false;
      if (key === "interleaved") {
        const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(raw ?? "");
        const rtp = Number(m?.[1]);
        const rtcp = m?.[2] === undefined ? rtp + 1 : Number(m[2]);
        if (!m || rtp > 254 || rtcp > 255 || rtcp === rtp) ok = false;
        else interleaved = [rtp, rtcp];
      }
      if (key === "mode") {
        const m = (raw ?? "").replace(/"/g, "").toLowerCase();
        if (m === "record" || m === "receive") mode = "record";
        else if (m !== "play") ok = false;
      }
    }
    if (ok) return { interleaved, mode };
  }
  return null;
}

/**
 * The `Transport` header of a SETUP reply.
 *
 * @param channels the RTP and RTCP channels granted
 * @param mode play or record
 * @returns the header value
 * @example
 * ```ts
 * formatTransport([0, 1], "play"); // "RTP/AVP/TCP;unicast;interleaved=0-1"
 * ```
 */
export function formatTransport(channels: [number, number], mode: "play" | "record"): string {
  const base = `RTP/AVP/TCP;unicast;interleaved=${channels[0]}-${channels[1]}`;
  return mode === "record" ? `${base};mode=record` : base;
}
