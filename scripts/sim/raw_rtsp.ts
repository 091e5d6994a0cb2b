/**
 * A bare RTSP client for tests and benchmarks that need what ffmpeg will not do: send garbage,
 * hold a connection half-open, play and then stop reading, or time each packet. It speaks just
 * enough RTSP (DESCRIBE, SETUP per track, PLAY over TCP) and counts the video frames (RTP marker
 * bits) it receives; `onPacket` sees every media packet as it arrives.
 *
 * @module
 */

import {
  header,
  type HeaderList,
  parseMessage,
  type RtspResponse,
  serializeRequest,
} from "../../models/rtsp/message.ts";
import { parseSdp } from "../../models/rtsp/sdp.ts";

/** A raw TCP connection to an RTSP server with a response reader. */
export class RawRtsp {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #cseq = 0;
  /** Bytes of media received. */
  mediaBytes = 0;
  /** Video frames received (RTP packets with the marker bit on channel 0). */
  frames = 0;
  /** Payload (RTP packet) of the first video packet received, or null. */
  firstVideoPacket: Uint8Array | null = null;
  /** Sequence numbers and timestamps of the video packets received (up to 100,000). */
  readonly video: { seq: number; ts: number; ssrc: number }[] = [];
  /** When the first video frame arrived (performance.now()), or null. */
  firstFrameAt: number | null = null;
  /** Whether the server closed the connection. */
  closed = false;
  /** Called with every interleaved packet received (channel, packet). */
  onPacket: ((channel: number, packet: Uint8Array) => void) | null = null;
  #reading: Promise<void> | null = null;
  #pending: Promise<number | null> | null = null;
  #chunk = new Uint8Array(65536);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /**
   * Connects to 127.0.0.1:port.
   *
   * @param port the server's port
   * @returns the connection
   */
  static async connect(port: number): Promise<RawRtsp> {
    return new RawRtsp(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /**
   * Sends raw bytes.
   *
   * @param bytes anything
   */
  async write(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    let at = 0;
    while (at < data.length) at += await this.#conn.write(data.subarray(at));
  }

  /**
   * Sends a request and waits for its response.
   *
   * @param method RTSP method
   * @param uri request URI
   * @param headers extra headers
   * @param body a body (an SDP for ANNOUNCE)
   * @returns the response, or null when the server closed the connection
   */
  async request(
    method: string,
    uri: string,
    headers: HeaderList = [],
    body?: string,
  ): Promise<RtspResponse | null> {
    await this.write(serializeRequest({
      method,
      uri,
      headers: [["CSeq", String(++this.#cseq)], ...headers],
      body,
    }));
    return await this.response();
  }

  /**
   * Reads the next response (interleaved frames before it are counted and skipped).
   *
   * @param timeoutMs give up after this long
   * @returns the response, or null when the connection closed first
   */
  async response(timeoutMs = 10_000): Promise<RtspResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = parseMessage(this.#buf, { maxBodyBytes: 1 << 20 });
      if (r.kind === "response") {
        this.#buf = this.#buf.slice(r.size);
        return r.response;
      }
      if (r.kind === "interleaved") {
        this.#media(r.channel, r.payload);
        this.#buf = this.#buf.slice(r.size);
        continue;
      }
      if (r.kind === "error" || r.kind === "request") throw new Error(`unexpected ${r.kind}`);
      if (Date.now() > deadline) throw new Error("no response in time");
      if (!(await this.#fill(deadline - Date.now()))) return null;
    }
  }

  /**
   * DESCRIBE, SETUP of every track over TCP, and PLAY.
   *
   * @param url the stream URL
   * @param headers extra headers for every request (e.g. Authorization)
   * @returns the PLAY response status (or the first failing one)
   */
  async play(url: string, headers: HeaderList = []): Promise<number> {
    const described = await this.request("DESCRIBE", url, headers);
    if (!described || described.status !== 200) return described?.status ?? 0;
    const sdp = parseSdp(new TextDecoder().decode(described.body));
    let session: string | undefined;
    for (let i = 0; i < sdp.media.length; i++) {
      const res = await this.request("SETUP", `${url}/trackID=${i}`, [
        ...headers,
        ["Transport", `RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}`],
        ...(session ? [["Session", session]] as HeaderList : []),
      ]);
      if (!res || res.status !== 200) return res?.status ?? 0;
      session = header(res.headers, "session")?.split(";")[0];
    }
    const played = await this.request("PLAY", url, [...headers, ["Session", session ?? ""]]);
    return played?.status ?? 0;
  }

  /** Reads and counts media in the background until the connection closes. */
  startReading(): void {
    this.#reading ??= (async () => {
      while (await this.#fill(60_000)) {
        for (;;) {
          const r = parseMessage(this.#buf, { maxBodyBytes: 1 << 20 });
          if (r.kind !== "interleaved") {
            if (r.kind === "response" || r.kind === "blank") {
              this.#buf = this.#buf.slice(r.size);
              continue;
            }
            break;
          }
          this.#media(r.channel, r.payload);
          this.#buf = this.#buf.slice(r.size);
        }
      }
    })();
  }

  /**
   * Waits until the server closes the connection.
   *
   * @param timeoutMs give up after this long
   * @returns true when it closed
   */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      if (this.#reading) await new Promise((r) => setTimeout(r, 20));
      else await this.#fill(deadline - Date.now());
    }
    return this.closed;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#reading?.catch(() => {});
  }

  #media(channel: number, payload: Uint8Array): void {
    this.onPacket?.(channel, payload);
    this.mediaBytes += payload.length;
    if (channel === 0 && payload.length >= 12) {
      this.firstVideoPacket ??= payload.slice();
      const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      if (this.video.length < 100_000) {
        this.video.push({ seq: v.getUint16(2), ts: v.getUint32(4), ssrc: v.getUint32(8) });
      }
    }
    if (channel === 0 && payload.length > 1 && (payload[1]! & 0x80) !== 0) {
      this.frames++;
      this.firstFrameAt ??= performance.now();
    }
  }

  async #fill(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    // One read in flight at a time: a timed-out wait leaves it pending for the next call.
    this.#pending ??= this.#conn.read(this.#chunk).catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    try {
      const n = await Promise.race([this.#pending, timeout]);
      if (n === "timeout") return true;
      this.#pending = null;
      if (n === null) {
        this.closed = true;
        return false;
      }
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(this.#chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * `Authorization: Basic` for a user and password.
 *
 * @param username user
 * @param password password
 * @returns the header
 */
export function basicAuth(username: string, password: string): [string, string] {
  return ["Authorization", `Basic ${btoa(`${username}:${password}`)}`];
}
