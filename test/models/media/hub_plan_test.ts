import assert from "node:assert/strict";
import {
  cameraSources,
  parseStreamPath,
  planStreams,
  streamPath,
} from "../../../models/media/hub_plan.ts";

Deno.test("planStreams() gives streams with one URL one path, and others their own", async (t) => {
  const cases: { name: string; sources: Parameters<typeof planStreams>[1]; want: string[] }[] = [
    {
      name: "one URL: main and sub are aliases of the default path",
      sources: { default: "rtsp://cam/1" },
      want: ["/cam/c rtsp://cam/1", "/cam/c rtsp://cam/1", "/cam/c rtsp://cam/1"],
    },
    {
      name: "an ONVIF camera whose analysis stream is its sub stream",
      sources: { default: "rtsp://cam/sub", main: "rtsp://cam/main", sub: "rtsp://cam/sub" },
      want: ["/cam/c rtsp://cam/sub", "/cam/c/main rtsp://cam/main", "/cam/c rtsp://cam/sub"],
    },
    {
      name: "three URLs, three paths",
      sources: { default: "rtsp://a", main: "rtsp://b", sub: "rtsp://c" },
      want: ["/cam/c rtsp://a", "/cam/c/main rtsp://b", "/cam/c/sub rtsp://c"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const plan = planStreams("c", c.sources);
      assert.deepEqual(
        [plan.default, plan.main, plan.sub].map((s) => `${s.path} ${s.url}`),
        c.want,
      );
    });
  }
});

Deno.test("streamPath() and parseStreamPath() name camera streams and nothing else", () => {
  assert.equal(streamPath("0192-ab"), "/cam/0192-ab");
  assert.equal(streamPath("0192-ab", "sub"), "/cam/0192-ab/sub");
  assert.throws(() => streamPath("a/b"), RangeError);
  assert.throws(() => streamPath(".."), RangeError);
  assert.deepEqual(parseStreamPath("/cam/x1"), { cameraId: "x1", stream: "default" });
  assert.deepEqual(parseStreamPath("/cam/x1/main"), { cameraId: "x1", stream: "main" });
  assert.equal(parseStreamPath("/cam/x1/other"), null);
  assert.equal(parseStreamPath("/live/x1"), null);
});

Deno.test("cameraSources() takes main and sub from the stored ONVIF profiles, with credentials", () => {
  const onvif = {
    recordingProfile: { streamUri: "rtsp://10.0.0.5:554/main" },
    analysisProfile: { streamUri: "rtsp://10.0.0.5:554/sub" },
  };
  assert.deepEqual(
    cameraSources("rtsp://u:p@10.0.0.5:554/sub", onvif, { username: "u", password: "p" }, "udp"),
    {
      default: "rtsp://u:p@10.0.0.5:554/sub",
      main: "rtsp://u:p@10.0.0.5:554/main",
      sub: "rtsp://u:p@10.0.0.5:554/sub",
      transport: "udp",
    },
  );
  assert.deepEqual(cameraSources("rtsp://cam/1", null, {}), {
    default: "rtsp://cam/1",
    transport: undefined,
  });
  assert.deepEqual(
    cameraSources("rtsp://cam/1", { recordingProfile: { streamUri: "file:///etc/passwd" } }, {}),
    { default: "rtsp://cam/1", transport: undefined },
    "a URI that is not RTSP is ignored",
  );
});

Deno.test("cameraSources() leaves out a stored ONVIF profile on another host than the camera", () => {
  const onvif = {
    recordingProfile: { streamUri: "rtsp://198.51.100.7:554/hd" },
    analysisProfile: { streamUri: "rtsp://198.51.100.7:554/sub" },
  };
  const sources = cameraSources("rtsp://u:p@10.0.0.5:554/sub", onvif, {
    username: "u",
    password: "p",
  });
  assert.deepEqual(sources, { default: "rtsp://u:p@10.0.0.5:554/sub", transport: undefined });
});
