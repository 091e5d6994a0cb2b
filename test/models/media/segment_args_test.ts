import assert from "node:assert/strict";
import {
  audioMode,
  compileArgs,
  concatScript,
  fileProbeArgs,
  recordArgs,
  sourceProbeArgs,
} from "../../../models/media/segment_args.ts";
import { parseFileProbe, parseSourceProbe } from "../../../models/media/probe_output.ts";
import { ValidationError } from "../../../models/errors.ts";

const OUT = "/data/recordings/cam/incoming/1764000000000-%06d.mp4";

function after(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

Deno.test("recordArgs() copies video into fragmented MP4 segments listed on stdout", () => {
  const args = recordArgs({
    url: "rtsp://cam/main",
    output: OUT,
    segmentSeconds: 10,
    audio: "none",
  });
  assert.equal(after(args, "-i"), "rtsp://cam/main");
  assert.equal(after(args, "-c:v"), "copy");
  assert.ok(args.includes("-an"));
  assert.equal(after(args, "-f"), "segment");
  assert.equal(after(args, "-segment_time"), "10");
  assert.equal(after(args, "-segment_format"), "mp4");
  assert.match(after(args, "-segment_format_options")!, /frag_keyframe\+empty_moov/);
  assert.equal(after(args, "-reset_timestamps"), "1");
  assert.equal(after(args, "-segment_list"), "pipe:1");
  assert.equal(after(args, "-segment_list_type"), "csv");
  assert.equal(after(args, "-progress"), "pipe:1");
  assert.equal(args.at(-1), OUT);
  assert.ok(args.includes("-protocol_whitelist"), "the source cannot be a local file");
});

Deno.test("recordArgs() copies MP4-friendly audio, converts the rest, and drops none", async (t) => {
  await t.step("AAC is copied", () => {
    const args = recordArgs({ url: "rtsp://c/m", output: OUT, segmentSeconds: 10, audio: "copy" });
    assert.equal(after(args, "-c:a"), "copy");
    assert.ok(args.includes("0:a:0?"), "a source without audio still records");
  });
  await t.step("G.711 becomes AAC", () => {
    const args = recordArgs({ url: "rtsp://c/m", output: OUT, segmentSeconds: 10, audio: "aac" });
    assert.equal(after(args, "-c:a"), "aac");
  });
  await t.step("audioMode() decides from the source codec", () => {
    assert.equal(audioMode("aac"), "copy");
    assert.equal(audioMode("mp3"), "copy");
    assert.equal(audioMode("pcm_mulaw"), "aac");
    assert.equal(audioMode("pcm_alaw"), "aac");
    assert.equal(audioMode("opus"), "aac");
    assert.equal(audioMode(null), "none");
  });
  await t.step("HEVC gets the hvc1 tag", () => {
    const args = recordArgs({
      url: "rtsp://c/m",
      output: OUT,
      segmentSeconds: 10,
      audio: "none",
      videoCodec: "hevc",
    });
    assert.equal(after(args, "-tag:v"), "hvc1");
  });
});

Deno.test("recordArgs() refuses bad segment lengths, outputs and sources", () => {
  const base = { url: "rtsp://c/m", output: OUT, segmentSeconds: 10, audio: "none" as const };
  for (const bad of [1, 601, 2.5, Number.NaN]) {
    assert.throws(() => recordArgs({ ...base, segmentSeconds: bad }), ValidationError);
  }
  assert.throws(() => recordArgs({ ...base, output: "incoming/%06d.mp4" }), ValidationError);
  assert.throws(() => recordArgs({ ...base, output: "/x/%d.mp4" }), ValidationError);
  assert.throws(() => recordArgs({ ...base, url: "file:///etc/passwd" }), ValidationError);
});

Deno.test("probe commands read a source's codecs and a file's first packet", () => {
  const source = sourceProbeArgs({ url: "rtsp://c/m" });
  assert.deepEqual(source.slice(-2), ["-i", "rtsp://c/m"]);
  const file = fileProbeArgs("/data/a.mp4");
  assert.equal(file.at(-1), "file:/data/a.mp4");
  assert.equal(after(file, "-protocol_whitelist"), "file");
  assert.throws(() => fileProbeArgs("a.mp4"), ValidationError);
  assert.deepEqual(
    parseFileProbe(JSON.stringify({
      packets: [{ flags: "K_" }],
      streams: [{ codec_name: "h264", width: 640, height: 360 }],
      format: { duration: "10.000000" },
    })),
    {
      durationMs: 10000,
      video: { codec: "h264", width: 640, height: 360 },
      startsWithKeyframe: true,
    },
  );
  assert.deepEqual(parseFileProbe("{}"), { durationMs: 0, video: null, startsWithKeyframe: false });
  assert.deepEqual(
    parseSourceProbe(JSON.stringify({
      streams: [{ codec_type: "audio", codec_name: "pcm_mulaw" }, {
        codec_type: "video",
        codec_name: "h264",
      }],
    })),
    { video: "h264", audio: "pcm_mulaw" },
  );
});

Deno.test("concatScript() quotes every path so none can inject a directive", () => {
  assert.equal(
    concatScript([
      { path: "/r/a.mp4", inpoint: 4.2 },
      { path: "/r/b.mp4" },
      { path: "/r/it's.mp4", outpoint: 3 },
    ]),
    "ffconcat version 1.0\nfile '/r/a.mp4'\ninpoint 4.200\nfile '/r/b.mp4'\n" +
      "file '/r/it'\\''s.mp4'\noutpoint 3.000\n",
  );
  assert.equal(
    concatScript([{ path: "/r/a.mp4", duration: 10, inpoint: 0 }]),
    "ffconcat version 1.0\nfile '/r/a.mp4'\nduration 10.000\n",
  );
  assert.throws(() => concatScript([]), ValidationError);
  assert.throws(() => concatScript([{ path: "a.mp4" }]), ValidationError);
  assert.throws(() => concatScript([{ path: "/r/a.mp4\nfile /etc/passwd" }]), ValidationError);
});

Deno.test("compileArgs() copies a plain clip and re-encodes an annotated one", () => {
  const plain = compileArgs({ list: "/t/l.txt", output: "/t/o.mp4", audio: false });
  assert.equal(after(plain, "-f"), "concat");
  assert.equal(after(plain, "-c:v"), "copy");
  assert.equal(after(plain, "-movflags"), "+faststart");
  assert.ok(plain.includes("-an"));
  const annotated = compileArgs({
    list: "/t/l.txt",
    output: "/t/o.mp4",
    audio: true,
    annotate: { subtitles: "0192f0c4-6a1e.ass", startS: 2.5, durationS: 20 },
  });
  assert.equal(after(annotated, "-vf"), "ass=0192f0c4-6a1e.ass");
  assert.equal(after(annotated, "-c:v"), "libx264");
  assert.equal(after(annotated, "-ss"), "2.500");
  assert.equal(after(annotated, "-t"), "20.000");
  assert.equal(after(annotated, "-c:a"), "copy");
  assert.throws(
    () =>
      compileArgs({
        list: "/t/l.txt",
        output: "/t/o.mp4",
        audio: false,
        annotate: { subtitles: "x:y.ass", startS: 0, durationS: 1 },
      }),
    ValidationError,
  );
});
