import assert from "node:assert/strict";
import { parseTarget, splitTrack, validPath } from "../../../models/rtsp/url.ts";

Deno.test("parseTarget() reads path and query of a request URI, or refuses it", async (t) => {
  const cases: { uri: string; want: ReturnType<typeof parseTarget> }[] = [
    { uri: "*", want: { path: "*", query: {} } },
    { uri: "rtsp://127.0.0.1:8554/cam/a1", want: { path: "/cam/a1", query: {} } },
    { uri: "rtsp://h/cam/a1/", want: { path: "/cam/a1", query: {} } },
    { uri: "/cam/a1/trackID=0", want: { path: "/cam/a1/trackID=0", query: {} } },
    {
      uri: "rtsp://h:1/cam/a1?exp=9&sig=abc",
      want: { path: "/cam/a1", query: { exp: "9", sig: "abc" } },
    },
    {
      uri: "rtsp://h:1/cam/a1?exp=9&sig=abc/trackID=1",
      want: { path: "/cam/a1/trackID=1", query: { exp: "9", sig: "abc" } },
    },
    { uri: "rtsp://h/cam/../etc/passwd", want: null },
    { uri: "rtsp://h/cam/%2e%2e/x", want: null },
    { uri: "rtsp://h/cam//x", want: null },
    { uri: "rtsp://h/", want: null },
    { uri: "http://h/cam/1", want: null },
    { uri: "cam/1", want: null },
    { uri: `rtsp://h/${"a".repeat(300)}`, want: null },
    { uri: "rtsp://h/cam/1?sig=a%0d", want: null },
  ];
  for (const c of cases) {
    await t.step(c.uri.slice(0, 60), () => assert.deepEqual(parseTarget(c.uri), c.want));
  }
});

Deno.test("validPath() and splitTrack() name streams and tracks", () => {
  assert.ok(validPath("/live/0192f0c1-aa"));
  assert.ok(!validPath("/"));
  assert.ok(!validPath("/a/./b"));
  assert.deepEqual(splitTrack("/cam/1/trackID=1"), { path: "/cam/1", track: 1 });
  assert.equal(splitTrack("/cam/1"), null);
  assert.equal(splitTrack("/trackID=1"), null);
});
