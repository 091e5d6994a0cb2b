/**
 * Looks at images the way a client would: ffprobe reads them from stdin.
 *
 * @module
 */
import assert from "node:assert/strict";

/** What ffprobe says of an image. */
export interface ImageInfo {
  codec: string;
  width: number;
  height: number;
}

/**
 * Reads the codec and size of an image (a JPEG snapshot) with ffprobe.
 *
 * @param image the encoded bytes
 * @returns codec name and size of its first stream
 * @throws AssertionError when ffprobe cannot read it
 */
export async function probeImage(image: Uint8Array): Promise<ImageInfo> {
  const child = new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,width,height",
      "-of",
      "json",
      "pipe:0",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(image);
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const parsed: { streams: { codec_name: string; width: number; height: number }[] } = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  const stream = parsed.streams[0];
  assert.ok(stream, "ffprobe found no stream");
  return { codec: stream.codec_name, width: stream.width, height: stream.height };
}
