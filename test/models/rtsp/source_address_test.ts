import assert from "node:assert/strict";
import { sourceAddress } from "../../../models/rtsp/source_address.ts";

Deno.test("sourceAddress() names the host and port a probe connects to", async (t) => {
  const cases: [string, string, ReturnType<typeof sourceAddress>][] = [
    ["an explicit port", "rtsp://u:p@10.0.0.5:8554/s", { hostname: "10.0.0.5", port: 8554 }],
    ["RTSP's default port", "rtsp://cam.local/stream1", { hostname: "cam.local", port: 554 }],
    ["RTSPS's default port", "rtsps://cam/s", { hostname: "cam", port: 322 }],
    ["HTTP's default port", "http://127.0.0.1/clip.mp4", { hostname: "127.0.0.1", port: 80 }],
    ["an IPv6 address without brackets", "rtsp://[::1]:9000/s", { hostname: "::1", port: 9000 }],
    ["nothing for a scheme without a port", "file:///etc/passwd", null],
    ["nothing for garbage", "not a url", null],
  ];
  for (const [name, url, expected] of cases) {
    await t.step(name, () => assert.deepEqual(sourceAddress(url), expected));
  }
});
