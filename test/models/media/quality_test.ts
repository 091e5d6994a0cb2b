import assert from "node:assert/strict";
import {
  bitrateFor,
  cameraStreams,
  chooseStream,
  type LivePlan,
  planLive,
  type ProbedStream,
  type Quality,
  servedAs,
} from "../../../models/media/quality.ts";
import { ValidationError } from "../../../models/errors.ts";

const HD: ProbedStream = { codec: "h264", width: 1920, height: 1080 };
const SMALL: ProbedStream = { codec: "h264", width: 640, height: 360 };

Deno.test("planLive() follows the ladder and never upscales", async (t) => {
  const cases: {
    name: string;
    quality: Quality;
    annotated?: boolean;
    delivery?: "h264" | "jpeg";
    probed: ProbedStream;
    want: LivePlan;
  }[] = [
    {
      name: "source is a stream copy at the camera's size",
      quality: "source",
      probed: HD,
      want: { mode: "copy", stream: "main", codec: "h264", width: 1920, height: 1080 },
    },
    {
      name: "an H.265 source is passed through too",
      quality: "source",
      probed: { codec: "h265", width: 2560, height: 1440 },
      want: { mode: "copy", stream: "main", codec: "h265", width: 2560, height: 1440 },
    },
    {
      name: "720p of a 1080p camera scales down at the 720p bitrate",
      quality: "720p",
      probed: HD,
      want: {
        mode: "encode",
        stream: "main",
        codec: "h264",
        width: 1280,
        height: 720,
        bitrateKbps: 2500,
      },
    },
    {
      name: "1080p of a 360p camera stays 360p at the 360p bitrate",
      quality: "1080p",
      probed: SMALL,
      want: {
        mode: "encode",
        stream: "main",
        codec: "h264",
        width: 640,
        height: 360,
        bitrateKbps: 700,
      },
    },
    {
      name: "an odd aspect keeps even dimensions",
      quality: "480p",
      probed: { codec: "h264", width: 768, height: 576 },
      want: {
        mode: "encode",
        stream: "main",
        codec: "h264",
        width: 640,
        height: 480,
        bitrateKbps: 1200,
      },
    },
    {
      name: "annotated source is encoded at the source size",
      quality: "source",
      annotated: true,
      probed: HD,
      want: {
        mode: "encode",
        stream: "main",
        codec: "h264",
        width: 1920,
        height: 1080,
        bitrateKbps: 4500,
      },
    },
    {
      name: "a codec the relay cannot copy (MJPEG camera) is encoded",
      quality: "source",
      probed: { codec: "mjpeg", width: 1280, height: 720 },
      want: {
        mode: "encode",
        stream: "main",
        codec: "h264",
        width: 1280,
        height: 720,
        bitrateKbps: 2500,
      },
    },
    {
      name: "MJPEG delivery encodes JPEG at the rung size",
      quality: "360p",
      delivery: "jpeg",
      probed: HD,
      want: {
        mode: "encode",
        stream: "main",
        codec: "mjpeg",
        width: 640,
        height: 360,
        bitrateKbps: 0,
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = planLive(
        { quality: c.quality, annotated: c.annotated ?? false, delivery: c.delivery ?? "h264" },
        "main",
        c.probed,
      );
      assert.deepEqual(got, c.want);
    });
  }
  await t.step("a nonsense probed size is refused", () => {
    assert.throws(
      () =>
        planLive({ quality: "720p", annotated: false, delivery: "h264" }, "main", {
          codec: "h264",
          width: 0,
          height: 0,
        }),
      ValidationError,
    );
  });
});

Deno.test("chooseStream() reads the smallest camera stream that is tall enough", async (t) => {
  const both = { main: { width: 1920, height: 1080 }, sub: { width: 640, height: 360 } };
  const mainOnly = { main: undefined, sub: undefined };
  const cases: [string, Quality, typeof both | typeof mainOnly, string, Quality][] = [
    ["source reads main", "source", both, "main", "source"],
    ["sub reads the sub-stream", "sub", both, "sub", "sub"],
    ["sub without a sub-stream is the 360p rung", "sub", mainOnly, "main", "360p"],
    ["360p reads the 360p sub-stream", "360p", both, "sub", "360p"],
    ["480p is taller than the sub-stream: main", "480p", both, "main", "480p"],
    ["a camera without ONVIF has one stream", "360p", mainOnly, "main", "360p"],
  ];
  for (const [name, quality, streams, stream, served] of cases) {
    await t.step(name, () => {
      assert.deepEqual(chooseStream(quality, streams), { stream, quality: served });
    });
  }
});

Deno.test("cameraStreams() finds a sub-stream only when ONVIF named a second profile", () => {
  const profile = (token: string, width: number, height: number) => ({
    token,
    streamUri: `rtsp://cam/${token}`,
    width,
    height,
  });
  assert.deepEqual(
    cameraStreams({
      recordingProfile: profile("main", 1920, 1080),
      analysisProfile: profile("sub", 640, 360),
    }),
    { main: { width: 1920, height: 1080 }, sub: { width: 640, height: 360 } },
  );
  assert.deepEqual(
    cameraStreams({
      recordingProfile: profile("only", 1280, 720),
      analysisProfile: profile("only", 1280, 720),
    }),
    { main: { width: 1280, height: 720 }, sub: undefined },
  );
  assert.deepEqual(cameraStreams(undefined), { main: undefined, sub: undefined });
  assert.deepEqual(cameraStreams({ recordingProfile: "garbage" }), {
    main: undefined,
    sub: undefined,
  });
});

Deno.test("bitrateFor() fits the rung and shrinks by area below the ladder", () => {
  assert.equal(bitrateFor(1080), 4500);
  assert.equal(bitrateFor(1440), 4500);
  assert.equal(bitrateFor(720), 2500);
  assert.equal(bitrateFor(576), 1200);
  assert.equal(bitrateFor(360), 700);
  assert.equal(bitrateFor(180), 175);
  assert.equal(bitrateFor(40), 100);
});

Deno.test("servedAs() names the height", () => {
  const plan = planLive({ quality: "1080p", annotated: false, delivery: "h264" }, "main", {
    codec: "h264",
    width: 768,
    height: 576,
  });
  assert.equal(servedAs(plan), "576p");
});
