import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import {
  captureArgs,
  type CaptureArgsOptions,
  encodeJpegArgs,
  pullerArgs,
  snapshotArgs,
} from "../../../models/media/ffmpeg_args.ts";

const RTSP_WHITELIST = ["-protocol_whitelist", "rtsp,rtsps,rtp,srtp,udp,tcp,tls"];
const JPEG_OUT = [
  "-pix_fmt",
  "yuvj420p",
  "-c:v",
  "mjpeg",
  "-q:v",
  "3",
  "-f",
  "image2pipe",
  "pipe:1",
];

const rtspInput = (url: string, transport = "tcp", timeoutUs = "5000000") => [
  ...RTSP_WHITELIST,
  "-rtsp_transport",
  transport,
  "-timeout",
  timeoutUs,
  "-fflags",
  "+genpts+discardcorrupt",
  "-fpsprobesize",
  "5",
  "-i",
  url,
];

const rawOut = (vf: string) => [
  "-an",
  "-sn",
  "-dn",
  "-vf",
  vf,
  "-pix_fmt",
  "rgb24",
  "-f",
  "rawvideo",
  "pipe:1",
];

const HEAD = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info"];
const base: CaptureArgsOptions = { url: "rtsp://cam/s", width: 640, height: 360, fps: 5 };

Deno.test("captureArgs() builds the exact command line", async (t) => {
  // Capture decodes and filters on one thread each (less memory per camera).
  const CAPTURE_HEAD = [
    ...HEAD,
    ...["-filter_threads", "1", "-threads", "1", "-skip_loop_filter", "all"],
  ];
  const cases: { name: string; options: CaptureArgsOptions; want: string[] }[] = [
    {
      name: "defaults to TCP, a 5 s socket timeout and rgb24 at the analysis size and rate",
      options: base,
      want: [...CAPTURE_HEAD, ...rtspInput("rtsp://cam/s"), ...rawOut("fps=5,scale=640:360")],
    },
    {
      name: "uses the per-camera UDP override",
      options: { ...base, transport: "udp" },
      want: [
        ...CAPTURE_HEAD,
        ...rtspInput("rtsp://cam/s", "udp"),
        ...rawOut("fps=5,scale=640:360"),
      ],
    },
    {
      name: "converts the timeout from ms to µs",
      options: { ...base, timeoutMs: 2500 },
      want: [
        ...CAPTURE_HEAD,
        ...rtspInput("rtsp://cam/s", "tcp", "2500000"),
        ...rawOut("fps=5,scale=640:360"),
      ],
    },
    {
      name: "passes credentials and query untouched as one argument",
      options: { ...base, url: "rtsps://u:p%40w@cam:322/s?ch=1&sub=0", fps: 2.5, width: 320 },
      want: [
        ...CAPTURE_HEAD,
        ...rtspInput("rtsps://u:p%40w@cam:322/s?ch=1&sub=0"),
        ...rawOut("fps=2.5,scale=320:360"),
      ],
    },
    {
      name: "uses http protocols and -rw_timeout for an allowed http source",
      options: { ...base, url: "http://cam/mjpeg", allowSchemes: ["http"] },
      want: [
        ...CAPTURE_HEAD,
        "-protocol_whitelist",
        "http,https,tcp,tls,crypto",
        "-rw_timeout",
        "5000000",
        "-fflags",
        "+genpts+discardcorrupt",
        "-i",
        "http://cam/mjpeg",
        ...rawOut("fps=5,scale=640:360"),
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(captureArgs(c.options), c.want));
  }
});

Deno.test("capture ffmpeg skips the decoder's loop filter and drops frames before scaling", () => {
  const args = captureArgs(base);
  const at = args.indexOf("-skip_loop_filter");
  assert.deepEqual(args.slice(at, at + 2), ["-skip_loop_filter", "all"]);
  assert.ok(at < args.indexOf("-i"), "a decoder option goes before its input");
  assert.match(args[args.indexOf("-vf") + 1] ?? "", /^fps=5,scale=640:360$/);
});

Deno.test("capture ffmpeg decodes and filters on one thread each, before its input", () => {
  const args = captureArgs(base);
  const input = args.indexOf("-i");
  assert.deepEqual(args.slice(args.indexOf("-threads"), args.indexOf("-threads") + 2), [
    "-threads",
    "1",
  ]);
  assert.ok(args.indexOf("-threads") < input && args.indexOf("-filter_threads") < input);
});

Deno.test("captureArgs() rejects bad input before ffmpeg sees it", async (t) => {
  const cases: { name: string; options: CaptureArgsOptions; message: RegExp }[] = [
    {
      name: "a local file",
      options: { ...base, url: "file:///etc/passwd" },
      message: /scheme 'file:' is not allowed/,
    },
    { name: "an option as URL", options: { ...base, url: "-i" }, message: /must not start with/ },
    {
      name: "an option smuggled after a space",
      options: { ...base, url: "rtsp://cam/s -i /etc/passwd" },
      message: /whitespace/,
    },
    {
      name: "http without allowance",
      options: { ...base, url: "http://cam/x" },
      message: /'http:' is not allowed/,
    },
    {
      name: "an unknown transport",
      options: { ...base, transport: "http" as "tcp" },
      message: /'transport': must be "tcp" or "udp"/,
    },
    { name: "a zero fps", options: { ...base, fps: 0 }, message: /'fps': must be a number/ },
    {
      name: "a fractional width",
      options: { ...base, width: 640.5 },
      message: /'width': must be an integer from 16 to 7680, got 640.5/,
    },
    {
      name: "a tiny timeout",
      options: { ...base, timeoutMs: 5 },
      message: /'timeoutMs': must be an integer from 100/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(
        () => captureArgs(c.options),
        (err: unknown) => err instanceof ValidationError && c.message.test(err.message),
      );
    });
  }
});

Deno.test("snapshotArgs() builds the exact command line", async (t) => {
  const head = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+error"];
  await t.step("grabs exactly one frame as JPEG at the source size", () => {
    assert.deepEqual(snapshotArgs({ url: "rtsp://cam/s", timeoutMs: 3000 }), [
      ...head,
      ...rtspInput("rtsp://cam/s", "tcp", "3000000"),
      "-an",
      "-sn",
      "-dn",
      "-frames:v",
      "1",
      ...JPEG_OUT,
    ]);
  });
  await t.step("scales when a size is given and honours quality", () => {
    assert.deepEqual(
      snapshotArgs({ url: "rtsp://cam/s", transport: "udp", width: 320, height: 180, quality: 8 }),
      [
        ...head,
        ...rtspInput("rtsp://cam/s", "udp"),
        "-an",
        "-sn",
        "-dn",
        "-frames:v",
        "1",
        "-vf",
        "scale=320:180",
        ...JPEG_OUT.slice(0, 5),
        "8",
        ...JPEG_OUT.slice(6),
      ],
    );
  });
  await t.step("refuses a width without a height", () => {
    assert.throws(() => snapshotArgs({ url: "rtsp://cam/s", width: 320 }), ValidationError);
  });
});

Deno.test("encodeJpegArgs() reads one rgb24 frame from stdin and only from stdin", () => {
  assert.deepEqual(encodeJpegArgs({ width: 640, height: 360 }), [
    "-nostdin",
    "-hide_banner",
    "-nostats",
    "-loglevel",
    "level+error",
    "-protocol_whitelist",
    "pipe",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    "640x360",
    "-i",
    "pipe:0",
    "-frames:v",
    "1",
    ...JPEG_OUT,
  ]);
  assert.throws(() => encodeJpegArgs({ width: 0, height: 360 }), ValidationError);
  assert.throws(() => encodeJpegArgs({ width: 640, height: 360, quality: 1 }), ValidationError);
});

Deno.test("pullerArgs() copies video and audio to the relay, with the capture's safe input", async (t) => {
  const relay = "rtsp://vigil:s@127.0.0.1:8554/cam/1";
  const out = ["-map", "0:v", "-map", "0:a?", "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp"];
  await t.step("pulls the camera over TCP by default and publishes over TCP", () => {
    assert.deepEqual(pullerArgs({ url: "rtsp://cam/s", output: relay }), [
      ...HEAD,
      ...rtspInput("rtsp://cam/s"),
      ...out,
      relay,
    ]);
  });
  await t.step("keeps the camera's UDP transport for the input only", () => {
    assert.deepEqual(pullerArgs({ url: "rtsp://cam/s", transport: "udp", output: relay }), [
      ...HEAD,
      ...rtspInput("rtsp://cam/s", "udp"),
      ...out,
      relay,
    ]);
  });
  await t.step("refuses a file source and a relay URL that is not rtsp://", () => {
    assert.throws(() => pullerArgs({ url: "file:///etc/passwd", output: relay }), ValidationError);
    assert.throws(
      () => pullerArgs({ url: "rtsp://cam/s", output: "file:/tmp/x" }),
      ValidationError,
    );
    assert.throws(() => pullerArgs({ url: "rtsp://cam/s", output: "-y" }), ValidationError);
  });
});
