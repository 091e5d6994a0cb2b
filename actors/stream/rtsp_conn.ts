/**
 * One TCP connection of the RTSP server: reads bytes into a bounded buffer and hands each parsed
 * message (request or interleaved frame) to a handler, and writes through a bounded queue. Every
 * byte sent — replies and media — goes through the queue, so a reply can never land inside an
 * interleaved frame, and a reader that stops reading is found by its queue filling up: it is
 * dropped instead of being buffered without limit. Queued frames are written in coalesced chunks,
 * one write per burst instead of one per packet.
 *
 * @module
 */

import {
  header,
  type HeaderList,
  type MessageLimits,
  parseMessage,
  type ParseResult,
  type RtspRequest,
  serializeResponse,
} from "../../models/rtsp/message.ts";

/** Largest coalesced write. */
const MAX_WRITE_BYTES = 256 * 1024;
/** First size of the read buffer; grows (up to what one message may need) only when needed. */
const INITIAL_READ_BYTES = 16 * 1024;

/** Why a connection closed. */
export type CloseReason = "eof" | "error" | "overflow" | "timeout" | "server" | "protocol";

/** What a connection hands to its owner. */
export interface ConnHandler {
  /** A parsed message. A returned promise holds further reading until it settles. */
  message(result: Exclude<ParseResult, { kind: "incomplete" | "blank" }>): void | Promise<void>;
  /** The connection closed (once). */
  closed(reason: CloseReason): void;
}

/**
 * A connection with a bounded outgoing queue.
 */
export class RtspConn {
  /** Remote address, for logs and the authorizer. */
  readonly remote: string;
  /** Bytes queued and not yet written. */
  queuedBytes = 0;
  /** Frames queued and not yet written. */
  queuedFrames = 0;
  /** Frames that were still queued when the connection closed (lost). */
  droppedFrames = 0;
  /** Largest queue allowed before {@linkcode RtspConn.send} drops the connection. */
  queueLimit: number;
  #conn: Deno.TcpConn;
  #queue: Uint8Array[] = [];
  #writing = false;
  #closed = false;
  #reason: CloseReason = "eof";
  #handler: ConnHandler | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done: Promise<void> | undefined;

  /**
   * @param conn the accepted TCP connection
   * @param queueLimit bytes the outgoing queue may hold
   */
  constructor(conn: Deno.TcpConn, queueLimit: number) {
    this.#conn = conn;
    this.queueLimit = queueLimit;
    const addr = conn.remoteAddr;
    this.remote = addr.transport === "tcp" ? `${addr.hostname}:${addr.port}` : "unknown";
    try {
      conn.setNoDelay(true);
    } catch {
      // already gone
    }
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts reading; `handler` gets every message and the close.
   *
   * @param handler message and close callbacks
   * @param limits message size limits
   * @returns a promise settling when the connection is closed and reading has stopped
   */
  start(handler: ConnHandler, limits: MessageLimits): Promise<void> {
    this.#handler = handler;
    this.#done = this.#read(limits);
    return this.#done;
  }

  /**
   * (Re)arms the inactivity timer; `0` disarms it.
   *
   * @param ms close with reason `timeout` after this long without another call
   */
  expireAfter(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = ms > 0 ? setTimeout(() => this.close("timeout"), ms) : undefined;
  }

  /**
   * Queues bytes. When the queue would exceed its limit the connection is closed instead
   * (reason `overflow`) and false returned.
   *
   * @param bytes a serialised reply or an interleaved frame (not copied: do not modify it later)
   * @returns whether the bytes were queued
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.queuedBytes + bytes.length > this.queueLimit) {
      this.close("overflow");
      return false;
    }
    this.#queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.queuedFrames++;
    if (!this.#writing) void this.#flush();
    return true;
  }

  /**
   * Queues the reply to a request: its CSeq echoed (when it is a plain number), `Server: Vigil`,
   * then `headers`.
   *
   * @param req the request answered, or null (no CSeq to echo)
   * @param status RTSP status
   * @param headers more reply headers
   * @param body the body (an SDP)
   */
  reply(req: RtspRequest | null, status: number, headers: HeaderList = [], body?: string): void {
    const cseq = req ? header(req.headers, "cseq") : undefined;
    const all: HeaderList = cseq && /^\d{1,10}$/.test(cseq) ? [["CSeq", cseq]] : [];
    all.push(["Server", "Vigil"], ...headers);
    this.send(serializeResponse({ status, headers: all, body }));
  }

  /**
   * Queues a reply and closes once it is written (a malformed request gets its 400 this way).
   *
   * @param status RTSP status
   * @param headers reply headers
   */
  async replyAndClose(status: number, headers: [string, string][] = []): Promise<void> {
    this.send(serializeResponse({ status, headers }));
    const deadline = Date.now() + 1000;
    while (!this.#closed && this.queuedBytes > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.close("protocol");
  }

  /**
   * Closes the connection (idempotent) and tells the handler why.
   *
   * @param reason why
   */
  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reason = reason;
    clearTimeout(this.#timer);
    this.droppedFrames = this.#queue.length;
    this.#queue = [];
    this.queuedBytes = 0;
    this.queuedFrames = 0;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#handler?.closed(reason);
  }

  /** Resolves once reading has stopped. */
  async settled(): Promise<void> {
    await this.#done;
  }

  /** Why the connection closed (meaningful once closed). */
  get reason(): CloseReason {
    return this.#reason;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const chunk = this.#take();
        let written = 0;
        while (written < chunk.length) {
          written += await this.#conn.write(chunk.subarray(written));
        }
        this.queuedBytes -= chunk.length;
      }
    } catch {
      this.close("error");
    } finally {
      this.#writing = false;
    }
  }

  /** Takes queued frames as one buffer of at most {@linkcode MAX_WRITE_BYTES} (or one frame). */
  #take(): Uint8Array {
    const first = this.#queue[0]!;
    let count = 1;
    let size = first.length;
    while (count < this.#queue.length && size + this.#queue[count]!.length <= MAX_WRITE_BYTES) {
      size += this.#queue[count]!.length;
      count++;
    }
    const taken = this.#queue.splice(0, count);
    this.queuedFrames -= count;
    if (count === 1) return first;
    const out = new Uint8Array(size);
    let at = 0;
    for (const frame of taken) {
      out.set(frame, at);
      at += frame.length;
    }
    return out;
  }

  async #read(limits: MessageLimits): Promise<void> {
    // Room for the largest message: headers, a body, or a 64 KiB interleaved frame.
    const maxBuffer = (limits.maxHeaderBytes ?? 8192) + (limits.maxBodyBytes ?? 65536) + 65540;
    let data = new Uint8Array(INITIAL_READ_BYTES);
    let start = 0;
    let end = 0;
    try {
      while (!this.#closed) {
        if (end === data.length) {
          if (start > 0) {
            data.copyWithin(0, start, end);
            end -= start;
            start = 0;
          } else if (data.length < maxBuffer) {
            const bigger = new Uint8Array(Math.min(maxBuffer, data.length * 2));
            bigger.set(data.subarray(0, end));
            data = bigger;
          } else {
            // parseMessage refuses oversized messages before this: a safety net only.
            this.close("protocol");
            return;
          }
        }
        const n = await this.#conn.read(data.subarray(end));
        if (n === null) break;
        end += n;
        while (start < end && !this.#closed) {
          const result = parseMessage(data.subarray(start, end), limits);
          if (result.kind === "incomplete") break;
          if (result.kind === "error") {
            start = end;
            await this.#handler!.message(result);
            return;
          }
          start += result.size;
          if (result.kind === "blank") continue;
          const pending = this.#handler!.message(result);
          if (pending) await pending;
        }
        if (start === end) start = end = 0;
      }
    } catch {
      this.close("error");
      return;
    }
    this.close("eof");
  }
}
