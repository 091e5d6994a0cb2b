import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import {
  checkTarget,
  decodeArgs,
  encodeRawArgs,
  probeArgs,
  relayArgs,
  segmenterArgs,
  transcodeArgs,
} from "../../../models/media/live_args.ts";
import type { LivePlan } from "../../../models/media/quality.ts";

const HEAD = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+warning"];
const rtspIn = (url: string) => [
  "-protocol_whitelist",
  "rtsp,rtsps,rtp,srtp,udp,tcp,tls",
  "-rtsp_transport",
  "tcp",
  "-timeout",
  "5000000",
  "-fflags",
  "+genpts+discardcorrupt",
  "-fpsprobesize",
  "5",
  "-i",
  url,
];
const VIDEO_ONLY = ["-map", "0:v:0", "-an", "-sn", "-dn"];
const x264 = (rate: string) => [
  "-pix_fmt",
  "yuv420p",
  "-fps_mode",
  "passthrough",
  "-c:v",
  "libx264",
  "-preset",
  "veryfast",
  "-tune",
  "zerolatency",
  "-b:v",
  rate,
  "-maxrate",
  rate,
  "-bufsize",
  rate,
  "-force_key_frames",
  "expr:gte(t,n_forced*1)",
  "-sc_threshold",
  "0",
  "-bsf:v",
  "dump_extra,setts=pts=N:dts=N",
  "-flush_packets",
  "1",
  "-f",
  "h264",
];
const MJPEG = [
  "-pix_fmt",
  "yuvj420p",
  "-c:v",
  "mjpeg",
  "-q:v",
  "5",
  "-bsf:v",
  "setts=pts=N:dts=N",
  "-flush_packets",
  "1",
  "-f",
  "mjpeg",
];
const pipeIn = (format: string) => [
  "-probesize",
  "32768",
  "-analyzeduration",
  "0",
  "-f",
  format,
  "-use_wallclock_as_timestamps",
  "1",
  "-i",
  "pipe:0",
];

const SRC = { url: "rtsp://127.0.0.1:8554/cam" };
const copy: LivePlan = { mode: "copy", stream: "main", codec: "h264", width: 1920, height: 1080 };
const hevc: LivePlan = { mode: "copy", stream: "main", codec: "h265", width: 2560, height: 1440 };
const p720: LivePlan = {
  mode: "encode",
  stream: "main",
  codec: "h264",
  width: 1280,
  height: 720,
  bitrateKbps: 2500,
};
const jpeg: LivePlan = {
  mode: "encode",
  stream: "sub",
  codec: "mjpeg",
  width: 640,
  height: 360,
  bitrateKbps: 0,
};

Deno.test("transcodeArgs() builds the exact shared transcoder", async (t) => {
  const cases: { name: string; plan: LivePlan; want: string[] }[] = [
    {
      name: "source copies the stream and repeats SPS/PPS before keyframes",
      plan: copy,
      want: [
        ...HEAD,
        ...rtspIn(SRC.url),
        ...VIDEO_ONLY,
        "-c:v",
        "copy",
        "-bsf:v",
        "dump_extra,setts=pts=N:dts=N",
        "-flush_packets",
        "1",
        "-f",
        "h264",
        "pipe:1",
      ],
    },
    {
      name: "an H.265 copy writes an hevc elementary stream",
      plan: hevc,
      want: [
        ...HEAD,
        ...rtspIn(SRC.url),
        ...VIDEO_ONLY,
        "-c:v",
        "copy",
        "-bsf:v",
        "dump_extra,setts=pts=N:dts=N",
        "-flush_packets",
        "1",
        "-f",
        "hevc",
        "pipe:1",
      ],
    },
    {
      name: "a rung scales and encodes with libx264 veryfast/zerolatency at its bitrate",
      plan: p720,
      want: [
        ...HEAD,
        ...rtspIn(SRC.url),
        ...VIDEO_ONLY,
        "-vf",
        "scale=1280:720",
        ...x264("2500k"),
        "pipe:1",
      ],
    },
    {
      name: "MJPEG delivery drops to 10 fps and encodes JPEG frames",
      plan: jpeg,
      want: [
        ...HEAD,
        ...rtspIn(SRC.url),
        ...VIDEO_ONLY,
        "-vf",
        "fps=10,scale=640:360",
        ...MJPEG,
        "pipe:1",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(transcodeArgs(c.plan, SRC), c.want));
  }
  await t.step("a source that is not RTSP never reaches ffmpeg", () => {
    assert.throws(() => transcodeArgs(copy, { url: "file:///etc/passwd" }), ValidationError);
  });
  await t.step("odd sizes are refused (yuv420p)", () => {
    assert.throws(() => transcodeArgs({ ...p720, width: 1281 }, SRC), /even sides/);
  });
});

Deno.test("decodeArgs() and encodeRawArgs() split an annotated transcoder around raw yuv420p", async (t) => {
  await t.step("decoder writes raw frames of the plan's size", () => {
    assert.deepEqual(decodeArgs(p720, SRC), [
      ...HEAD,
      ...rtspIn(SRC.url),
      ...VIDEO_ONLY,
      "-vf",
      "scale=1280:720",
      "-pix_fmt",
      "yuv420p",
      "-fps_mode",
      "passthrough",
      "-flush_packets",
      "1",
      "-f",
      "rawvideo",
      "pipe:1",
    ]);
  });
  await t.step("encoder reads them stamped with the wall clock", () => {
    assert.deepEqual(encodeRawArgs(p720), [
      ...HEAD,
      "-protocol_whitelist",
      "pipe",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "yuv420p",
      "-s",
      "1280x720",
      "-use_wallclock_as_timestamps",
      "1",
      "-i",
      "pipe:0",
      "-enc_time_base",
      "-1",
      ...x264("2500k"),
      "pipe:1",
    ]);
  });
  await t.step("a copy plan cannot be annotated", () => {
    assert.throws(() => decodeArgs(copy, SRC), ValidationError);
    assert.throws(() => encodeRawArgs(copy), ValidationError);
  });
});

Deno.test("relayArgs() publishes stdin over RTSP/TCP; segmenterArgs() cuts MPEG-TS with a CSV list", async (t) => {
  await t.step("relay", () => {
    assert.deepEqual(relayArgs({ codec: "h264", target: "rtsp://127.0.0.1:8554/live/x" }), [
      "-nostdin",
      "-hide_banner",
      "-nostats",
      "-loglevel",
      "level+info",
      "-protocol_whitelist",
      "pipe,rtsp,rtsps,rtp,srtp,udp,tcp,tls",
      ...pipeIn("h264"),
      "-c",
      "copy",
      "-f",
      "rtsp",
      "-rtsp_transport",
      "tcp",
      "rtsp://127.0.0.1:8554/live/x",
    ]);
  });
  await t.step("segmenter", () => {
    assert.deepEqual(segmenterArgs({ codec: "h265", dir: "/data/live/abc", prefix: "r3-" }), [
      ...HEAD,
      "-protocol_whitelist",
      "pipe,file",
      ...pipeIn("hevc"),
      "-c",
      "copy",
      "-f",
      "segment",
      "-segment_format",
      "mpegts",
      "-segment_time",
      "0.5",
      "-segment_list",
      "pipe:1",
      "-segment_list_type",
      "csv",
      "/data/live/abc/r3-%d.ts",
    ]);
  });
  await t.step("a relative or %-bearing directory is refused", () => {
    assert.throws(() => segmenterArgs({ codec: "h264", dir: "live/x", prefix: "r1-" }));
    assert.throws(() => segmenterArgs({ codec: "h264", dir: "/tmp/%s", prefix: "r1-" }));
    assert.throws(() => segmenterArgs({ codec: "h264", dir: "/tmp/x", prefix: "../r1-" }));
  });
  await t.step("probe", () => {
    assert.deepEqual(probeArgs(SRC), [
      "-hide_banner",
      "-v",
      "error",
      ...rtspIn(SRC.url),
      "-select_streams",
      "v:0",
      "-show_entries",
      "stream=codec_name,width,height",
      "-of",
      "json",
    ]);
  });
});

Deno.test("checkTarget() accepts rtsp(s) URLs only", async (t) => {
  for (const ok of ["rtsp://media:8554/cam1", "rtsps://user:pw@media.example:322/live"]) {
    await t.step(`accepts ${ok}`, () => assert.equal(checkTarget(ok), ok));
  }
  const bad: [string, unknown, RegExp][] = [
    ["http", "http://media/x", /rtsp:\/\/ or rtsps:\/\//],
    ["a file", "file:///etc/passwd", /rtsp:\/\/ or rtsps:\/\//],
    ["an option", "-f null", /without spaces|rtsp/],
    ["no host", "rtsp:///x", /host/],
    ["a number", 42, /string/],
    ["a newline", "rtsp://a/b\nc", /without spaces/],
  ];
  for (const [name, value, message] of bad) {
    await t.step(`refuses ${name}`, () => {
      assert.throws(
        () => checkTarget(value),
        (e) => e instanceof ValidationError && message.test(e.message) && e.field === "target",
      );
    });
  }
});
