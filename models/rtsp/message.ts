/**
 * RTSP/1.0 messages (RFC 2326) as data: an incremental parser for what arrives on a connection —
 * requests, responses and `$`-framed interleaved RTP/RTCP (see interleaved.ts) — and serialisers
 * for requests and responses. Every size is bounded before anything is buffered beyond it, so a
 * peer sending a 1 MiB request line or an endless header costs at most the limit, and anything
 * malformed is a 400 (the server answers it and closes the connection).
 *
 * @module
 */

import { INTERLEAVED_MAGIC, readInterleaved } from "./interleaved.ts";

/** Size limits of one message. */
export interface MessageLimits {
  /** Longest start line plus headers, in bytes. Default {@linkcode MAX_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** Longest body, in bytes. Default {@linkcode MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Most header lines. Default {@linkcode MAX_HEADERS}. */
  maxHeaders?: number;
}

/** Default limit of start line + headers: real RTSP requests are a few hundred bytes. */
export const MAX_HEADER_BYTES = 8192;
/** Default body limit: an SDP of a few tracks is ~1 KiB. */
export const MAX_BODY_BYTES = 65536;
/** Default number of header lines. */
export const MAX_HEADERS = 64;

/** Header lines in arrival order; names as sent. */
export type HeaderList = [name: string, value: string][];

/** An RTSP request. */
export interface RtspRequest {
  method: string;
  uri: string;
  headers: HeaderList;
  body: Uint8Array;
}

/** An RTSP response. */
export interface RtspResponse {
  status: number;
  reason: string;
  headers: HeaderList;
  body: Uint8Array;
}

/** What {@linkcode parseMessage} found at the start of the buffer. */
export type ParseResult =
  | { kind: "incomplete" }
  | { kind: "blank"; size: number }
  | { kind: "request"; request: RtspRequest; size: number }
  | { kind: "response"; response: RtspResponse; size: number }
  | { kind: "interleaved"; channel: number; payload: Uint8Array; size: number }
  | { kind: "error"; status: 400 | 413 | 505; message: string };

/** Reason phrases of the status codes Vigil sends (RFC 2326 §7.1.1). */
export const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  301: "Moved Permanently",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  459: "Aggregate Operation Not Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version Not Supported",
};

const METHOD = /^[A-Z][A-Z_-]{0,31}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
// deno-lint-ignore no-control-regex -- control characters in a URI or header value are the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Parses the first message in `buf`: an interleaved frame (`$`), a request, or a response.
 *
 * @param buf bytes received and not consumed yet
 * @param limits size limits
 * @returns what was found and its size in bytes (`blank`: empty lines to skip); `incomplete` when
 *   more bytes are needed; `error`
 *   (with the status to answer) when the bytes can never form a valid message within the limits
 * @example
 * ```ts
 * const r = parseMessage(new TextEncoder().encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"));
 * r.kind === "request" && r.request.method; // "OPTIONS"
 * ```
 */
export function parseMessage(buf: Uint8Array, limits: MessageLimits = {}): ParseResult {
  if (buf.length === 0) return { kind: "incomplete" };
  // Empty lines between messages (some clients send a bare CRLF as a keep-alive) are skipped.
  let blank = 0;
  while (blank < buf.length && (buf[blank] === 13 || buf[blank] === 10)) blank++;
  if (blank > 0) return { kind: "blank", size: blank };
  if (buf[0] === INTERLEAVED_MAGIC) {
    const frame = readInterleaved(buf);
    return frame ? { kind: "interleaved", ...frame } : { kind: "incomplete" };
  }
  const maxHeader = limits.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const end = headerEnd(buf, maxHeader);
  if (end === -1) {
    return buf.length >= maxHeader
      ? { kind: "error", status: 400, message: `headers exceed ${maxHeader} bytes` }
      : { kind: "incomplete" };
  }
  const text = decoder.decode(buf.subarray(0, end.start));
  const lines = text.split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  const startLine = lines.shift() ?? "";
  const headers = parseHeaders(lines, limits.maxHeaders ?? MAX_HEADERS);
  if (typeof headers === "string") return { kind: "error", status: 400, message: headers };
  const length = contentLength(headers);
  if (typeof length === "string") return { kind: "error", status: 400, message: length };
  const maxBody = limits.maxBodyBytes ?? MAX_BODY_BYTES;
  if (length > maxBody) {
    return { kind: "error", status: 413, message: `body of ${length} bytes exceeds ${maxBody}` };
  }
  const size = end.after + length;
  if (buf.length < size) return { kind: "incomplete" };
  const body = buf.slice(end.after, size);
  if (startLine.startsWith("RTSP/")) {
    const m = /^RTSP\/1\.0 ([1-5]\d\d) ?([^\r\n]*)$/.exec(startLine);
    if (!m) return { kind: "error", status: 400, message: "malformed status line" };
    return {
      kind: "response",
      response: { status: Number(m[1]), reason: m[2] ?? "", headers, body },
      size,
    };
  }
  const parts = startLine.split(" ");
  if (parts.length !== 3) return { kind: "error", status: 400, message: "malformed request line" };
  const [method, uri, version] = parts as [string, string, string];
  if (!METHOD.test(method)) return { kind: "error", status: 400, message: "malformed method" };
  if (uri === "" || CONTROL.test(uri)) {
    return { kind: "error", status: 400, message: "malformed request URI" };
  }
  if (!/^RTSP\/\d\.\d$/.test(version)) {
    return { kind: "error", status: 400, message: "malformed protocol version" };
  }
  if (version !== "RTSP/1.0") {
    return { kind: "error", status: 505, message: `${version} is not supported` };
  }
  return { kind: "request", request: { method, uri, headers, body }, size };
}

/**
 * The first value of a header, by case-insensitive name.
 *
 * @param headers header list
 * @param name header name
 * @returns the value, or undefined
 * @example
 * ```ts
 * header([["CSeq", "3"]], "cseq"); // "3"
 * ```
 */
export function header(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/**
 * Serialises a response; `Content-Length` is added for a body.
 *
 * @param response status, headers (reason defaults to the standard phrase), body
 * @returns the bytes to send
 * @throws {RangeError} when a header name or value could split the message (CR/LF, bad name)
 * @example
 * ```ts
 * serializeResponse({ status: 200, headers: [["CSeq", "1"]] });
 * ```
 */
export function serializeResponse(
  response: { status: number; reason?: string; headers?: HeaderList; body?: Uint8Array | string },
): Uint8Array {
  const reason = response.reason ?? REASONS[response.status] ?? "Unknown";
  return serialize(`RTSP/1.0 ${response.status} ${reason}`, response.headers, response.body);
}

/**
 * Serialises a request; `Content-Length` is added for a body.
 *
 * @param request method, URI, headers, body
 * @returns the bytes to send
 * @throws {RangeError} for a bad method, URI, header name or value
 * @example
 * ```ts
 * serializeRequest({ method: "OPTIONS", uri: "*", headers: [["CSeq", "1"]] });
 * ```
 */
export function serializeRequest(
  request: { method: string; uri: string; headers?: HeaderList; body?: Uint8Array | string },
): Uint8Array {
  if (!METHOD.test(request.method)) throw new RangeError(`rtsp: bad method ${request.method}`);
  if (request.uri === "" || /\s/.test(request.uri) || CONTROL.test(request.uri)) {
    throw new RangeError("rtsp: bad request URI");
  }
  return serialize(`${request.method} ${request.uri} RTSP/1.0`, request.headers, request.body);
}

function serialize(
  start: string,
  headers: HeaderList = [],
  body?: Uint8Array | string,
): Uint8Array {
  const bytes = typeof body === "string" ? encoder.encode(body) : body ?? new Uint8Array();
  let text = start + "\r\n";
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new RangeError(`rtsp: bad header name ${JSON.stringify(name)}`);
    if (/[\r\n]/.test(value) || CONTROL.test(value)) {
      throw new RangeError(`rtsp: header ${name} holds a control character`);
    }
    if (name.toLowerCase() === "content-length") continue;
    text += `${name}: ${value}\r\n`;
  }
  if (bytes.length > 0) text += `Content-Length: ${bytes.length}\r\n`;
  text += "\r\n";
  const head = encoder.encode(text);
  if (bytes.length === 0) return head;
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/** Finds the empty line ending the headers (CRLF CRLF, or bare LF LF) within `max` bytes. */
function headerEnd(buf: Uint8Array, max: number): { start: number; after: number } | -1 {
  const limit = Math.min(buf.length, max);
  for (let i = buf.indexOf(10); i !== -1 && i < limit; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return { start: i, after: i + 2 };
    if (buf[i + 1] === 13 && i + 2 < buf.length && buf[i + 2] === 10) {
      return { start: i, after: i + 3 };
    }
  }
  return -1;
}

function parseHeaders(lines: string[], max: number): HeaderList | string {
  if (lines.length > max) return `more than ${max} headers`;
  const headers: HeaderList = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) return "malformed header line";
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return "malformed header name";
    const value = line.slice(colon + 1).trim();
    if (CONTROL.test(value)) return `header ${name} holds a control character`;
    headers.push([name, value]);
  }
  return headers;
}

function contentLength(headers: HeaderList): number | string {
  const raw = header(headers, "content-length");
  if (raw === undefined) return 0;
  if (!/^\d{1,9}$/.test(raw)) return "malformed Content-Length";
  return Number(raw);
}
