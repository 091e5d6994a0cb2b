import assert from "node:assert/strict";
import {
  header,
  parseMessage,
  serializeRequest,
  serializeResponse,
} from "../../../models/rtsp/message.ts";
import { encodeInterleaved, readInterleaved } from "../../../models/rtsp/interleaved.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("parseMessage() reads requests, responses, interleaved frames and refuses garbage", async (t) => {
  const cases: { name: string; input: Uint8Array; want: string | RegExp }[] = [
    {
      name: "a request with headers",
      input: bytes(
        "DESCRIBE rtsp://h/cam/1 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n",
      ),
      want: "request DESCRIBE rtsp://h/cam/1 cseq=2 body=0",
    },
    {
      name: "a request with a body whose length the header gives",
      input: bytes("ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 3\r\nContent-Length: 4\r\n\r\nv=0\n"),
      want: "request ANNOUNCE rtsp://h/x cseq=3 body=4",
    },
    {
      name: "bare LF line ends",
      input: bytes("OPTIONS * RTSP/1.0\nCSeq: 1\n\n"),
      want: "request OPTIONS * cseq=1 body=0",
    },
    {
      name: "a response",
      input: bytes("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n\r\n"),
      want: "response 401",
    },
    {
      name: "an interleaved frame",
      input: new Uint8Array([0x24, 1, 0, 3, 7, 8, 9, 0x24]),
      want: "interleaved 1 3",
    },
    { name: "blank lines before a request", input: bytes("\r\n\r\nOPT"), want: "blank 4" },
    {
      name: "an unfinished request",
      input: bytes("OPTIONS * RTSP/1.0\r\nCSeq"),
      want: "incomplete",
    },
    {
      name: "an unfinished body",
      input: bytes("ANNOUNCE rtsp://h/x RTSP/1.0\r\nContent-Length: 10\r\n\r\nv=0"),
      want: "incomplete",
    },
    { name: "an unfinished frame", input: new Uint8Array([0x24, 0, 1]), want: "incomplete" },
    { name: "binary garbage", input: bytes("\x00\x01\x02 \x03\r\n\r\n"), want: "error 400" },
    { name: "a request line of 1 MiB", input: bytes("A".repeat(1 << 20)), want: "error 400" },
    { name: "HTTP instead of RTSP", input: bytes("GET / HTTP/1.1\r\n\r\n"), want: "error 400" },
    { name: "RTSP 2.0", input: bytes("OPTIONS * RTSP/2.0\r\n\r\n"), want: "error 505" },
    { name: "a lower-case method", input: bytes("options * RTSP/1.0\r\n\r\n"), want: "error 400" },
    {
      name: "a header without a colon",
      input: bytes("OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n"),
      want: "error 400",
    },
    {
      name: "a negative Content-Length",
      input: bytes("OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n"),
      want: "error 400",
    },
    {
      name: "a body over the limit",
      input: bytes("ANNOUNCE rtsp://h/x RTSP/1.0\r\nContent-Length: 70000\r\n\r\n"),
      want: "error 413",
    },
    {
      name: "too many headers",
      input: bytes("OPTIONS * RTSP/1.0\r\n" + "X-A: 1\r\n".repeat(65) + "\r\n"),
      want: "error 400",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = parseMessage(c.input);
      let got: string = r.kind;
      if (r.kind === "request") {
        const cseq = header(r.request.headers, "cseq");
        got =
          `request ${r.request.method} ${r.request.uri} cseq=${cseq} body=${r.request.body.length}`;
        assert.ok(r.size <= c.input.length);
      } else if (r.kind === "response") got = `response ${r.response.status}`;
      else if (r.kind === "interleaved") got = `interleaved ${r.channel} ${r.payload.length}`;
      else if (r.kind === "error") got = `error ${r.status}`;
      else if (r.kind === "blank") got = `blank ${r.size}`;
      assert.equal(got, c.want);
    });
  }
});

Deno.test("parseMessage() reports the size so consecutive messages can be read", () => {
  const buf = bytes(
    "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\nGET_PARAMETER * RTSP/1.0\r\nCSeq: 2\r\n\r\n",
  );
  const first = parseMessage(buf);
  assert.equal(first.kind, "request");
  if (first.kind !== "request") return;
  const second = parseMessage(buf.subarray(first.size));
  assert.equal(second.kind === "request" && second.request.method, "GET_PARAMETER");
});

Deno.test("serializeResponse() writes status, headers and Content-Length, and refuses header injection", () => {
  const out = text(serializeResponse({
    status: 200,
    headers: [["CSeq", "4"], ["Content-Type", "application/sdp"]],
    body: "v=0\r\n",
  }));
  assert.equal(
    out,
    "RTSP/1.0 200 OK\r\nCSeq: 4\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
  );
  assert.equal(
    text(serializeResponse({ status: 453 })),
    "RTSP/1.0 453 Not Enough Bandwidth\r\n\r\n",
  );
  assert.throws(
    () => serializeResponse({ status: 200, headers: [["X", "a\r\nEvil: 1"]] }),
    RangeError,
  );
  assert.throws(() => serializeResponse({ status: 200, headers: [["X Y", "1"]] }), RangeError);
});

Deno.test("serializeRequest() round-trips through parseMessage()", () => {
  const wire = serializeRequest({
    method: "SETUP",
    uri: "rtsp://127.0.0.1:8554/cam/1/trackID=0",
    headers: [["CSeq", "3"], ["Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"]],
  });
  const r = parseMessage(wire);
  assert.equal(r.kind, "request");
  if (r.kind !== "request") return;
  assert.equal(r.request.method, "SETUP");
  assert.equal(header(r.request.headers, "transport"), "RTP/AVP/TCP;unicast;interleaved=0-1");
  assert.throws(() => serializeRequest({ method: "SETUP", uri: "a b" }), RangeError);
});

Deno.test("parseMessage() keeps every value of a repeated header, in order", () => {
  const r = parseMessage(bytes(
    'RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="v"\r\nWWW-Authenticate: Basic realm="v"\r\n\r\n',
  ));
  assert.equal(r.kind, "response");
  if (r.kind !== "response") return;
  assert.deepEqual(r.response.headers, [
    ["WWW-Authenticate", 'Digest realm="v"'],
    ["WWW-Authenticate", 'Basic realm="v"'],
  ]);
});

Deno.test("encodeInterleaved() and readInterleaved() frame packets with a channel and length", () => {
  const payload = new Uint8Array(1500).map((_, i) => i & 0xff);
  const frame = encodeInterleaved(3, payload);
  assert.deepEqual([...frame.subarray(0, 4)], [0x24, 3, 1500 >> 8, 1500 & 0xff]);
  const read = readInterleaved(frame);
  assert.ok(read);
  assert.equal(read.channel, 3);
  assert.equal(read.size, 1504);
  assert.deepEqual(read.payload, payload);
  assert.equal(readInterleaved(frame.subarray(0, 100)), null);
  assert.throws(() => encodeInterleaved(256, payload), RangeError);
  assert.throws(() => encodeInterleaved(0, new Uint8Array(65536)), RangeError);
});
