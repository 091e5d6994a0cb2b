import assert from "node:assert/strict";
import { AccessUnitSplitter, closeAccessUnit, nalKind } from "../../../models/media/annexb.ts";

/** Encodes 30 frames of a test pattern to a raw Annex B stream with real ffmpeg. */
async function encode(codecArgs: string[], format: string): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=320x180:rate=25",
      "-frames:v",
      "30",
      ...codecArgs,
      "-f",
      format,
      "pipe:1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return out.stdout;
}

function splitInChunks(codec: "h264" | "h265", stream: Uint8Array, size: number) {
  const splitter = new AccessUnitSplitter(codec);
  const units = [];
  for (let i = 0; i < stream.length; i += size) {
    units.push(...splitter.push(stream.slice(i, i + size)));
  }
  units.push(...splitter.flush());
  return units;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("AccessUnitSplitter cuts an H.264 stream into one unit per picture, whatever the chunking", async (t) => {
  const stream = await encode(
    ["-c:v", "libx264", "-g", "10", "-sc_threshold", "0", "-x264-params", "slices=4"],
    "h264",
  );
  for (const size of [1, 7, 188, 4096, stream.length]) {
    await t.step(`chunks of ${size} bytes`, () => {
      const units = splitInChunks("h264", stream, size);
      assert.equal(units.length, 30, "one access unit per frame, four slices each");
      assert.deepEqual(
        units.flatMap((u, i) => (u.keyframe ? [i] : [])),
        [0, 10, 20],
        "IDR pictures where the GOP starts",
      );
      assert.ok(units[0]!.parameterSets, "the first unit carries SPS/PPS");
      assert.deepEqual(concat(units.map((u) => u.data)), stream, "no byte lost or added");
    });
  }
});

Deno.test("AccessUnitSplitter handles B-frames and H.265", async (t) => {
  await t.step("H.264 with B-frames: one unit per coded picture", async () => {
    const stream = await encode(["-c:v", "libx264", "-bf", "2", "-g", "10"], "h264");
    assert.equal(splitInChunks("h264", stream, 1000).length, 30);
  });
  await t.step("H.265: IRAP pictures are keyframes", async () => {
    const stream = await encode(
      ["-c:v", "libx265", "-g", "10", "-x265-params", "log-level=error:scenecut=0:bframes=0"],
      "hevc",
    );
    const units = splitInChunks("h265", stream, 333);
    assert.equal(units.length, 30);
    assert.deepEqual(units.flatMap((u, i) => (u.keyframe ? [i] : [])), [0, 10, 20]);
    assert.ok(units[0]!.parameterSets);
    assert.deepEqual(concat(units.map((u) => u.data)), stream);
  });
});

Deno.test("nalKind() asks for more bytes rather than guessing", () => {
  assert.equal(nalKind("h264", new Uint8Array([0x65])), undefined, "an IDR slice needs its header");
  assert.deepEqual(nalKind("h264", new Uint8Array([0x67])), {
    vcl: false,
    firstSlice: false,
    startsUnit: true,
    keyframe: false,
    sps: true,
  });
  assert.equal(nalKind("h265", new Uint8Array([0x26, 0x01])), undefined);
  assert.equal(nalKind("h265", new Uint8Array([0x26, 0x01, 0x80]))?.keyframe, true);
});

Deno.test("closeAccessUnit() moves the delimiter to the end, and the stream still splits the same", async () => {
  const stream = await encode(
    ["-c:v", "libx264", "-g", "10", "-bsf:v", "h264_metadata=aud=insert"],
    "h264",
  );
  const units = splitInChunks("h264", stream, 4096);
  assert.equal(units[1]!.data[4]! & 0x1f, 9, "ffmpeg put an AUD first");
  const closed = units.map((u) => closeAccessUnit(u.data, "h264"));
  for (const unit of closed) {
    assert.notEqual(unit[4]! & 0x1f, 9, "no leading AUD");
    assert.deepEqual([...unit.subarray(-6)], [0, 0, 0, 1, 0x09, 0xf0]);
  }
  const again = splitInChunks("h264", concat(closed), 777);
  assert.equal(again.length, 30);
  assert.deepEqual(again.flatMap((u, i) => (u.keyframe ? [i] : [])), [0, 10, 20]);
  const hevc = closeAccessUnit(new Uint8Array([0, 0, 1, 0x26, 0x01, 0x80]), "h265");
  assert.deepEqual([...hevc], [0, 0, 1, 0x26, 0x01, 0x80, 0, 0, 0, 1, 0x46, 0x01, 0x50]);
});
