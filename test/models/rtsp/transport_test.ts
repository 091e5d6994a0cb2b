import assert from "node:assert/strict";
import { formatTransport, parseTransport } from "../../../models/rtsp/transport.ts";

Deno.test("parseTransport() accepts interleaved TCP and refuses the rest", async (t) => {
  const cases: [string, ReturnType<typeof parseTransport>][] = [
    ["RTP/AVP/TCP;unicast;interleaved=0-1", { interleaved: [0, 1], mode: "play" }],
    ["RTP/AVP/TCP;unicast;interleaved=2-3;mode=record", { interleaved: [2, 3], mode: "record" }],
    ['RTP/AVP/TCP;unicast;interleaved=4;mode="RECORD"', { interleaved: [4, 5], mode: "record" }],
    ["RTP/AVP/TCP;unicast", { interleaved: undefined, mode: "play" }],
    [
      "RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;unicast;interleaved=0-1",
      { interleaved: [0, 1], mode: "play" },
    ],
    ["RTP/AVP;unicast;client_port=5000-5001", null],
    ["RTP/AVP/TCP;multicast", null],
    ["RTP/AVP/TCP;interleaved=255-256", null],
    ["RTP/AVP/TCP;interleaved=1-1", null],
    ["RTP/AVP/TCP;interleaved=x", null],
    ["RTP/AVP/TCP;mode=teleport", null],
  ];
  for (const [value, want] of cases) {
    await t.step(value, () => assert.deepEqual(parseTransport(value), want));
  }
});

Deno.test("formatTransport() answers with the granted channels", () => {
  assert.equal(formatTransport([0, 1], "play"), "RTP/AVP/TCP;unicast;interleaved=0-1");
  assert.equal(
    formatTransport([2, 3], "record"),
    "RTP/AVP/TCP;unicast;interleaved=2-3;mode=record",
  );
});
