/**
 * Vigil's own RTSP client: pulls a camera over one TCP connection — OPTIONS, DESCRIBE (answering
 * Basic or Digest challenges, a stale nonce included), SETUP of each RTP track interleaved
 * (RTP/AVP/TCP), PLAY — then hands every RTP/RTCP packet to its owner, keeps the session alive
 * (GET_PARAMETER or OPTIONS at half the session timeout), and sends TEARDOWN on close. Reading
 * and writing go through the server's bounded connection (rtsp_conn.ts); every step has a
 * timeout. Why not ffmpeg: docs/decisions/own-rtsp-client.md.
 *
 * @module
 */

import { header, type HeaderList, type RtspResponse } from "../../models/rtsp/message.ts";
import { serializeRequest } from "../../models/rtsp/message.ts";
import { parseSdp, type Sdp } from "../../models/rtsp/sdp.ts";
import { formatTransport, parseTransport } from "../../models/rtsp/transport.ts";
import {
  authorization,
  type Challenge,
  type ClientCredentials,
  pickChallenge,
} from "../../models/rtsp/client_auth.ts";
import {
  aggregateUrl,
  connectAddress,
  keepAliveMethod,
  keepAliveMs,
  parseSessionHeader,
  pullableMedia,
  trackUrl,
} from "../../models/rtsp/client_session.ts";
import { splitCredentials } from "../../models/media/rtsp_url.ts";
import { type CloseReason, RtspConn } from "./rtsp_conn.ts";

/**
 * What went wrong, for the puller: `unsupported` (an SDP the client cannot use) and `udp-only`
 * (the camera refuses RTP over TCP) hand the camera to ffmpeg.
 */
export type RtspClientErrorCode =
  | "udp-only"
  | "connect"
  | "timeout"
  | "unauthorized"
  | "status"
  | "unsupported"
  | "protocol"
  | "closed";

/** An RTSP client failure, with a machine-readable code. */
export class RtspClientError extends Error {
  override name = "RtspClientError";
  /**
   * @param message what happened, prefixed `rtsp client:`
   * @param code its kind
   */
  constructor(message: string, readonly code: RtspClientErrorCode) {
    super(message);
  }
}

/** What {@linkcode RtspClient.open} needs. */
export interface RtspClientOptions {
  /** The camera URL, credentials included. */
  url: string;
  /** Bound of the connect and of each request; also the longest silence while playing. */
  timeoutMs: number;
  /** The tracks are set up and PLAY goes out: where the packets will go is to be ready now. */
  onPlay(sdp: Sdp): void;
  /** Each packet: its track (index into `sdp.media`), RTCP or RTP, and the bytes (a view). */
  onPacket(track: number, rtcp: boolean, packet: Uint8Array): void;
  /** The session ended by itself (the camera closed, went silent, or refused a keep-alive). */
  onClose(error: RtspClientError): void;
  /** Aborts an `open` still connecting or in the handshake (the owner stopped). */
  signal?: AbortSignal;
}

/** Outgoing queue bound: requests only, a few hundred bytes each. */
const REQUEST_QUEUE_BYTES = 64 * 1024;
/** How often the silence and keep-alive deadlines are looked at. */
const TICK_MS = 500;

interface Pending {
  cseq: number;
  resolve(response: RtspResponse): void;
  reject(error: RtspClientError): void;
}

/** A playing RTSP session. */
export class RtspClient {
  /** The description of the tracks set up (what the relay publishes). */
  sdp: Sdp = { session: [], media: [] };
  readonly #options: RtspClientOptions;
  readonly #url: string;
  readonly #credentials: ClientCredentials | null;
  #conn: RtspConn | null = null;
  #reading: Promise<void> = Promise.resolve();
  #cseq = 0;
  #pending: Pending | null = null;
  #challenge: Challenge | null = null;
  #nc = 0;
  #session: string | null = null;
  /** The URL PLAY and TEARDOWN name (the session's aggregate control). */
  #aggregate: string;
  #channels = new Map<number, { track: number; rtcp: boolean }>();
  #keepAlive: "GET_PARAMETER" | "OPTIONS" = "OPTIONS";
  #tick: ReturnType<typeof setInterval> | undefined;
  #lastPacketAt = 0;
  #closing = false;

  private constructor(options: RtspClientOptions) {
    this.#options = options;
    const split = splitCredentials(options.url, "url");
    this.#url = split.url;
    this.#aggregate = split.url;
    this.#credentials = split.username === null
      ? null
      : { username: split.username, password: split.password ?? "" };
  }

  /**
   * Connects and plays a camera stream.
   *
   * @param options URL, timeout, packet and close callbacks
   * @returns the playing client (its `sdp` says what each track carries)
   * @throws {RtspClientError} when a step fails or times out (the connection is closed then)
   */
  static async open(options: RtspClientOptions): Promise<RtspClient> {
    const client = new RtspClient(options);
    const { signal } = options;
    // Closing the connection rejects the request awaited: a hung camera does not hold a stop.
    const abort = () => client.#conn?.close("server");
    signal?.addEventListener("abort", abort, { once: true });
    try {
      if (signal?.aborted) throw new RtspClientError("rtsp client: aborted", "closed");
      await client.#connect();
      if (signal?.aborted) throw new RtspClientError("rtsp client: aborted", "closed");
      await client.#handshake();
    } catch (error) {
      await client.#shut();
      throw error instanceof RtspClientError
        ? error
        : new RtspClientError(`rtsp client: ${error}`, "protocol");
    } finally {
      signal?.removeEventListener("abort", abort);
    }
    return client;
  }

  /**
   * Ends the session: TEARDOWN (waited for at most a moment), then the connection closes.
   * Idempotent; `onClose` is not called.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.#reading;
    this.#closing = true;
    clearInterval(this.#tick);
    if (this.#session !== null && this.#conn && !this.#conn.closed) {
      const headers: HeaderList = [["Session", this.#session]];
      await this.#request(
        "TEARDOWN",
        this.#aggregate,
        headers,
        Math.min(1000, this.#options.timeoutMs),
      )
        .catch(() => {});
    }
    await this.#shut();
  }

  async #connect(): Promise<void> {
    const { hostname, port } = connectAddress(this.#url);
    const connecting = Deno.connect({ hostname, port });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const { signal } = this.#options;
    let onAbort = () => {};
    const timeout = new Promise<never>((_, reject) => {
      onAbort = () => reject(new RtspClientError("rtsp client: aborted", "closed"));
      signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(
        () =>
          reject(
            new RtspClientError(
              `rtsp client: no connection to ${hostname}:${port} within ${this.#options.timeoutMs} ms`,
              "timeout",
            ),
          ),
        this.#options.timeoutMs,
      );
    });
    let tcp: Deno.TcpConn;
    try {
      tcp = await Promise.race([connecting, timeout]);
    } catch (error) {
      // A connect that completes after the timeout is closed at once.
      connecting.then((late) => late.close(), () => {});
      if (error instanceof RtspClientError) throw error;
      throw new RtspClientError(
        `rtsp client: cannot connect to ${hostname}:${port}: ${error}`,
        "connect",
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    const conn = new RtspConn(tcp, REQUEST_QUEUE_BYTES);
    this.#conn = conn;
    this.#reading = conn.start({
      message: (result) => {
        if (result.kind === "interleaved") {
          const map = this.#channels.get(result.channel);
          if (!map) return;
          this.#lastPacketAt = Date.now();
          this.#options.onPacket(map.track, map.rtcp, result.payload);
        } else if (result.kind === "response") {
          this.#answer(result.response);
        } else if (result.kind === "error") {
          conn.close("protocol");
        }
        // A request from the camera (ANNOUNCE, SET_PARAMETER) needs no answer to keep playing.
      },
      closed: (reason) => this.#closed(reason),
    }, {});
  }

  async #handshake(): Promise<void> {
    const timeout = this.#options.timeoutMs;
    const options = await this.#request("OPTIONS", this.#url, [], timeout);
    this.#keepAlive = keepAliveMethod(header(options.headers, "public"));
    const described = await this.#request("DESCRIBE", this.#url, [
      ["Accept", "application/sdp"],
    ], timeout);
    let sdp: Sdp;
    try {
      sdp = pullableMedia(parseSdp(new TextDecoder().decode(described.body)));
    } catch (error) {
      throw new RtspClientError(`rtsp client: unusable SDP: ${error}`, "unsupported");
    }
    const base = header(described.headers, "content-base") ??
      header(described.headers, "content-location") ?? this.#url;
    for (const [track, media] of sdp.media.entries()) {
      const pair: [number, number] = [track * 2, track * 2 + 1];
      const headers: HeaderList = [["Transport", formatTransport(pair, "play")]];
      if (this.#session !== null) headers.push(["Session", this.#session]);
      const reply = await this.#request("SETUP", trackUrl(base, media.control), headers, timeout);
      const granted = parseTransport(header(reply.headers, "transport") ?? "");
      if (!granted) {
        throw new RtspClientError("rtsp client: the camera offers no RTP over TCP", "udp-only");
      }
      const session = parseSessionHeader(header(reply.headers, "session"));
      if (!session) throw new RtspClientError("rtsp client: SETUP gave no session", "protocol");
      this.#session = session.id;
      const [rtp, rtcp] = granted.interleaved ?? pair;
      this.#channels.set(rtp, { track, rtcp: false });
      this.#channels.set(rtcp, { track, rtcp: true });
      this.#startKeepAlive(keepAliveMs(session.timeoutS));
    }
    this.sdp = sdp;
    this.#aggregate = aggregateUrl(base, sdp.session);
    this.#lastPacketAt = Date.now();
    this.#options.onPlay(sdp);
    await this.#request(
      "PLAY",
      this.#aggregate,
      [["Session", this.#session!], ["Range", "npt=0.000-"]],
      timeout,
    );
  }

  /** Keep-alives at `everyMs`; a session silent for the timeout counts as gone. */
  #startKeepAlive(everyMs: number): void {
    clearInterval(this.#tick);
    let nextAt = Date.now() + everyMs;
    this.#tick = setInterval(() => {
      const now = Date.now();
      if (this.#pending === null && this.#channels.size > 0 && this.#lastPacketAt > 0) {
        if (now - this.#lastPacketAt > this.#options.timeoutMs) {
          this.#conn?.close("timeout");
          return;
        }
      }
      if (now < nextAt || this.#pending !== null) return;
      nextAt = now + everyMs;
      void this.#request(
        this.#keepAlive,
        this.#aggregate,
        [["Session", this.#session ?? ""]],
        everyMs,
      )
        .catch(() => {
          // A camera that answers OPTIONS only: the data flowing is what counts.
        });
    }, TICK_MS);
  }

  /**
   * Sends one request and awaits its reply; a 401 is answered once with credentials (again when
   * the camera says the nonce went stale).
   */
  async #request(
    method: string,
    uri: string,
    headers: HeaderList,
    timeoutMs: number,
  ): Promise<RtspResponse> {
    for (let attempt = 0;; attempt++) {
      const response = await this.#send(method, uri, headers, timeoutMs);
      if (response.status === 401) {
        const values = response.headers.filter(([n]) => n.toLowerCase() === "www-authenticate")
          .map(([, v]) => v);
        const challenge = pickChallenge(values);
        const stale = challenge?.scheme === "digest" && challenge.stale;
        if (!this.#credentials || !challenge || (attempt > 0 && !stale) || attempt > 2) {
          throw new RtspClientError(
            `rtsp client: ${method} refused: 401 ${
              this.#credentials ? "wrong user name or password" : "credentials needed"
            }`,
            "unauthorized",
          );
        }
        this.#challenge = challenge;
        this.#nc = 0;
        continue;
      }
      if (response.status === 461) {
        throw new RtspClientError(
          `rtsp client: ${method}: 461 Unsupported Transport (the camera wants UDP)`,
          "udp-only",
        );
      }
      if (response.status < 200 || response.status > 299) {
        throw new RtspClientError(
          `rtsp client: ${method} answered ${response.status} ${response.reason}`,
          "status",
        );
      }
      return response;
    }
  }

  #send(
    method: string,
    uri: string,
    headers: HeaderList,
    timeoutMs: number,
  ): Promise<RtspResponse> {
    const conn = this.#conn;
    if (!conn || conn.closed) {
      return Promise.reject(new RtspClientError("rtsp client: connection closed", "closed"));
    }
    const cseq = ++this.#cseq;
    const all: HeaderList = [["CSeq", String(cseq)], ["User-Agent", "Vigil"], ...headers];
    if (this.#challenge && this.#credentials) {
      all.push([
        "Authorization",
        authorization(
          this.#challenge,
          this.#credentials,
          { method, uri },
          ++this.#nc,
          crypto.getRandomValues(new Uint8Array(8)).toHex(),
        ),
      ]);
    }
    // One request at a time: one still awaited (a keep-alive the camera ignores, when TEARDOWN
    // goes out) is given up, so its timer does not outlive the client.
    const previous = this.#pending;
    this.#pending = null;
    previous?.reject(new RtspClientError(`rtsp client: ${method} sent before an answer`, "closed"));
    return new Promise<RtspResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending?.cseq === cseq) this.#pending = null;
        reject(
          new RtspClientError(
            `rtsp client: no answer to ${method} within ${timeoutMs} ms`,
            "timeout",
          ),
        );
      }, timeoutMs);
      this.#pending = {
        cseq,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      conn.send(serializeRequest({ method, uri, headers: all }));
    });
  }

  #answer(response: RtspResponse): void {
    const pending = this.#pending;
    if (!pending || header(response.headers, "cseq") !== String(pending.cseq)) return;
    this.#pending = null;
    pending.resolve(response);
  }

  #closed(reason: CloseReason): void {
    clearInterval(this.#tick);
    const error = new RtspClientError(
      reason === "timeout"
        ? `rtsp client: nothing from the camera for ${this.#options.timeoutMs} ms`
        : `rtsp client: the camera closed the connection (${reason})`,
      reason === "timeout" ? "timeout" : "closed",
    );
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(error);
    if (!this.#closing && this.#channels.size > 0 && this.sdp.media.length > 0) {
      this.#closing = true;
      this.#options.onClose(error);
    }
  }

  async #shut(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#tick);
    this.#conn?.close("server");
    await this.#reading;
  }
}
