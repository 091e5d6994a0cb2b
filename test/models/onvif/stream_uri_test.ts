import assert from "node:assert/strict";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import { fixUriHost } from "../../../models/onvif/stream_uri.ts";

Deno.test("fixUriHost() points stream URIs at the device address", async (t) => {
  const cases: [string, string, string, number | undefined, string, boolean][] = [
    [
      "an unspecified host is replaced, port, path and query kept",
      "rtsp://0.0.0.0:554/Streaming/Channels/101?transportmode=unicast",
      "192.168.1.20",
      undefined,
      "rtsp://192.168.1.20:554/Streaming/Channels/101?transportmode=unicast",
      true,
    ],
    [
      "an internal address behind NAT is replaced",
      "rtsp://10.0.0.5/live",
      "203.0.113.7",
      undefined,
      "rtsp://203.0.113.7/live",
      true,
    ],
    [
      "a URI already on the device is left alone",
      "rtsp://192.168.1.20:8554/live",
      "192.168.1.20",
      undefined,
      "rtsp://192.168.1.20:8554/live",
      false,
    ],
    [
      "an IPv6 device address is bracketed",
      "rtsp://[::]:554/live",
      "fd00::20",
      undefined,
      "rtsp://[fd00::20]:554/live",
      true,
    ],
    [
      "a forwarded port replaces the reported one",
      "rtsp://192.168.1.20:554/live",
      "192.168.1.20",
      10554,
      "rtsp://192.168.1.20:10554/live",
      true,
    ],
    [
      "a snapshot URI is fixed the same way",
      "http://0.0.0.0/onvif/snapshot?token=1",
      "cam.local",
      undefined,
      "http://cam.local/onvif/snapshot?token=1",
      true,
    ],
  ];
  for (const [name, uri, host, port, expected, rewritten] of cases) {
    await t.step(name, () => {
      assert.deepEqual(fixUriHost(uri, host, port), { uri: expected, rewritten });
    });
  }
});

Deno.test("fixUriHost() refuses a URI that does not parse", () => {
  assert.throws(() => fixUriHost("/just/a/path", "cam"), OnvifError);
});
