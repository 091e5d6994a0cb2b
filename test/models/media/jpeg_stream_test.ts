import assert from "node:assert/strict";
import { JpegSplitter, MJPEG_BOUNDARY, mjpegPart } from "../../../models/media/jpeg_stream.ts";
import { probeImage } from "../../support/media.ts";

async function mjpegStream(frames: number): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=320x180:rate=10",
      "-frames:v",
      String(frames),
      "-c:v",
      "mjpeg",
      "-f",
      "mjpeg",
      "pipe:1",
    ],
    stdout: "piped",
  }).output();
  assert.ok(out.success);
  return out.stdout;
}

Deno.test("JpegSplitter returns every image of an ffmpeg MJPEG stream whole, whatever the chunking", async (t) => {
  const stream = await mjpegStream(12);
  for (const size of [1, 5, 1000, stream.length]) {
    await t.step(`chunks of ${size} bytes`, () => {
      const splitter = new JpegSplitter();
      const images: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += size) {
        images.push(...splitter.push(stream.slice(i, i + size)));
      }
      assert.equal(images.length, 12);
      assert.equal(images.reduce((n, j) => n + j.length, 0), stream.length);
    });
  }
  await t.step("garbage before an image is skipped and the image still decodes", async () => {
    const splitter = new JpegSplitter();
    const first = splitter.push(new Uint8Array([1, 2, 0xff, 0x00, 7]));
    assert.equal(first.length, 0);
    const images = splitter.push(stream);
    assert.equal(images.length, 12);
    assert.deepEqual(await probeImage(images[3]!), { codec: "mjpeg", width: 320, height: 180 });
  });
});

Deno.test("mjpegPart() frames a JPEG as a multipart part with its length", () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 0xff, 0xd9]);
  const text = new TextDecoder("latin1").decode(mjpegPart(jpeg));
  assert.equal(
    text,
    `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: 6\r\n\r\n` +
      "\xff\xd8\x01\x02\xff\xd9\r\n",
  );
});
