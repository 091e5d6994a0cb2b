import assert from "node:assert/strict";
import { readLines } from "../../../actors/process/lines.ts";

const encoder = new TextEncoder();

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  return ReadableStream.from(
    chunks.map((c) => typeof c === "string" ? encoder.encode(c) : new Uint8Array(c)),
  );
}

async function collect(stream: ReadableStream<Uint8Array<ArrayBuffer>>, keep = false) {
  const lines: string[] = [];
  for await (const line of readLines(stream, { keepUnterminated: keep })) lines.push(line);
  return lines;
}

Deno.test("readLines() joins lines split across chunks, at \\n and \\r\\n", async () => {
  const lines = await collect(streamOf(["ab", "c\r", "\nde", "f\n\n", "g\r\nh", "\n"]));
  assert.deepEqual(lines, ["abc", "def", "", "g", "h"]);
});

Deno.test("readLines() keeps a multi-byte character split between chunks whole", async () => {
  const bytes = encoder.encode("café\nnaïve\n");
  const lines = await collect(
    streamOf([bytes.subarray(0, 4), bytes.subarray(4, 9), bytes.subarray(9)]),
  );
  assert.deepEqual(lines, ["café", "naïve"]);
});

Deno.test("readLines() keeps a bare \\r inside the line (ffmpeg's progress redraws)", async () => {
  assert.deepEqual(await collect(streamOf(["frame=1\rframe=2\n"])), ["frame=1\rframe=2"]);
});

Deno.test("readLines() drops an unterminated last line unless asked to keep it", async (t) => {
  await t.step("dropped by default (a torn record)", async () => {
    assert.deepEqual(await collect(streamOf(["a\nseg-1.mp4,0.0,4.0", "16"])), ["a"]);
  });
  await t.step("kept for messages", async () => {
    assert.deepEqual(await collect(streamOf(["a\nlast wor", "ds"]), true), ["a", "last words"]);
  });
  await t.step("nothing extra when the stream ends with a line end", async () => {
    assert.deepEqual(await collect(streamOf(["a\n"]), true), ["a"]);
  });
});
