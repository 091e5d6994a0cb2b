import assert from "node:assert/strict";
import { parseFirstCodec, parseStreamProbe } from "../../../models/media/probe_output.ts";

Deno.test("parseStreamProbe() reads the first video stream's codec and size", () => {
  const json = '{"streams":[{"codec_name":"hevc","width":1920,"height":1080}]}';
  assert.deepEqual(parseStreamProbe(json), { codec: "hevc", width: 1920, height: 1080 });
});

Deno.test("parseStreamProbe() says null for output that describes no video", async (t) => {
  for (
    const [name, json] of [
      ["no stream", '{"streams":[]}'],
      ["no size", '{"streams":[{"codec_name":"h264"}]}'],
      ["not JSON", "Connection refused"],
      ["empty", ""],
    ]
  ) {
    await t.step(name!, () => assert.equal(parseStreamProbe(json!), null));
  }
});

Deno.test("parseFirstCodec() reads the selected stream's codec, null without one", () => {
  assert.equal(parseFirstCodec('{"streams":[{"codec_name":"aac"}]}'), "aac");
  assert.equal(parseFirstCodec('{"streams":[]}'), null);
  assert.throws(() => parseFirstCodec("nope"), SyntaxError);
});
