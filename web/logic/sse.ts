/**
 * A Server-Sent Events parser (the WHATWG "event stream" format). The console cannot use
 * `EventSource`: it cannot send an `Authorization` header, and the token must not go into a URL.
 * So the feed is read with `fetch` and parsed here, chunk by chunk.
 *
 * @module
 */

/** One dispatched message. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

/** Parser state between chunks. */
export interface SseParser {
  /** Feeds a decoded chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[];
}

/**
 * Makes a parser. Lines end with CRLF, LF or CR; a blank line dispatches; `:` starts a comment;
 * a message without `data` is not dispatched; the event name defaults to `message`.
 *
 * @returns the parser
 * @example
 * ```ts
 * const parser = createSseParser();
 * parser.push("event: open\ndata: {}\n\n"); // [{ event: "open", data: "{}", id: undefined }]
 * ```
 */
export function createSseParser(): SseParser {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  const line = (text: string, out: SseMessage[]) => {
    if (text === "") {
      if (data.length > 0) out.push({ event: event || "message", data: data.join("\n"), id });
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
  };
  return {
    push(chunk) {
      buffer += chunk;
      const out: SseMessage[] = [];
      for (;;) {
        const match = /\r\n|\n|\r/.exec(buffer);
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (!match || (match[0] === "\r" && match.index === buffer.length - 1)) break;
        line(buffer.slice(0, match.index), out);
        buffer = buffer.slice(match.index + match[0].length);
      }
      return out;
    },
  };
}
