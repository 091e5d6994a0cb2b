import assert from "node:assert/strict";
import {
  parseStderrLine,
  parseVideoStream,
  StderrParser,
  withoutLogContext,
} from "../../../models/media/ffmpeg_stderr.ts";

Deno.test("parseVideoStream() reads codec, size and fps from real ffmpeg stream lines", async (t) => {
  const cases: { name: string; line: string; want: ReturnType<typeof parseVideoStream> }[] = [
    {
      name: "H.264 from an RTSP camera",
      line:
        "Stream #0:0: Video: h264 (High), yuv420p(progressive), 768x576, 25 fps, 25 tbr, 90k tbn",
      want: { codec: "h264", width: 768, height: 576, fps: 25 },
    },
    {
      name: "GStreamer RTSP with coded size in parentheses",
      line:
        "Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, smpte170m, progressive), " +
        "640x360 [SAR 1:1 DAR 16:9], 25 fps, 25 tbr, 90k tbn",
      want: { codec: "h264", width: 640, height: 360, fps: 25 },
    },
    {
      name: "HEVC with fractional rate",
      line: "Stream #0:0[0x1011]: Video: hevc (Main) (HEVC / 0x43564548), yuv420p(tv), " +
        "1920x1080, 29.97 fps, 29.97 tbr, 90k tbn",
      want: { codec: "hevc", width: 1920, height: 1080, fps: 29.97 },
    },
    {
      name: "tbr when there is no fps, and a fourcc that looks like a size",
      line:
        "Stream #0:0: Video: rawvideo (I420 / 0x30323449), yuv420p, 320x240 [SAR 1:1 DAR 4:3], " +
        "25 tbr, 25 tbn",
      want: { codec: "rawvideo", width: 320, height: 240, fps: 25 },
    },
    {
      name: "MS-MPEG4 from vtest.avi",
      line: "Stream #0:0: Video: msmpeg4v3 (div3 / 0x33766964), yuv420p, 768x576, 816 kb/s, " +
        "10 fps, 10 tbr, 10 tbn",
      want: { codec: "msmpeg4v3", width: 768, height: 576, fps: 10 },
    },
    { name: "an audio stream is not video", line: "Stream #0:1: Audio: aac, 8000 Hz", want: null },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(parseVideoStream(c.line), c.want));
  }
});

Deno.test("parseStderrLine() classifies level-tagged lines", async (t) => {
  await t.step("a connection error, with the address", () => {
    assert.deepEqual(
      parseStderrLine(
        "[tcp @ 0x56373d16b8c0] [error] Connection to tcp://127.0.0.1:1?timeout=0 failed: " +
          "Connection refused",
      ),
      {
        kind: "error",
        message: "Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused",
      },
    );
  });
  await t.step("a whitelist refusal", () => {
    assert.deepEqual(
      parseStderrLine(
        "[file @ 0x56330476e1c0] [error] Protocol 'file' not on whitelist 'rtsp,rtsps'!",
      ),
      { kind: "error", message: "Protocol 'file' not on whitelist 'rtsp,rtsps'!" },
    );
  });
  await t.step("a password in a URL never survives", () => {
    assert.deepEqual(parseStderrLine("[error] rtsp://admin:hunter2@cam/s: Connection refused"), {
      kind: "error",
      message: "rtsp://admin:***@cam/s: Connection refused",
    });
  });
  await t.step("decoder complaints about damaged frames are not errors", () => {
    assert.deepEqual(
      parseStderrLine("[h264 @ 0x556058b80ac0] [error] concealing 440 DC, 440 AC, 440 MV errors"),
      { kind: "other" },
    );
  });
  await t.step("section headers", () => {
    assert.deepEqual(parseStderrLine("[info] Input #0, rtsp, from 'rtsp://cam/s':"), {
      kind: "section",
      section: "input",
    });
    assert.deepEqual(parseStderrLine("[info] Output #0, rawvideo, to 'pipe:1':"), {
      kind: "section",
      section: "output",
    });
  });
});

Deno.test("StderrParser keeps the input stream, not the output stream", () => {
  const p = new StderrParser();
  const lines = [
    "[info] Input #0, rtsp, from 'rtsp://127.0.0.1:18554/stream':",
    "[info]   Metadata:",
    "[info]     title           : Session streamed with GStreamer",
    "[info]   Duration: N/A, start: 0.000000, bitrate: N/A",
    "[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, smpte170m, progressive)" +
    ", 640x360 [SAR 1:1 DAR 16:9], 25 fps, 25 tbr, 90k tbn",
    "[info] Stream mapping:",
    "[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))",
    "[info] Output #0, rawvideo, to 'pipe:1':",
    "[info]   Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/smpte170m/" +
    "smpte170m, progressive), 320x180 [SAR 1:1 DAR 16:9], q=2-31, 6912 kb/s, 5 fps, 5 tbn",
  ];
  for (const line of lines) p.push(line);
  assert.deepEqual(p.info, { codec: "h264", width: 640, height: 360, fps: 25 });
  assert.equal(p.lastError, null);
  p.push("[error] rtsp://127.0.0.1:1/x: Connection refused");
  assert.equal(p.lastError, "rtsp://127.0.0.1:1/x: Connection refused");
});

Deno.test("withoutLogContext() leaves the message of a tagged line", () => {
  assert.equal(
    withoutLogContext("[tcp @ 0x55d1c0] [error] Connection to tcp://127.0.0.1:1 failed "),
    "Connection to tcp://127.0.0.1:1 failed",
  );
  assert.equal(withoutLogContext("rtsp://cam/s: Invalid data"), "rtsp://cam/s: Invalid data");
});
