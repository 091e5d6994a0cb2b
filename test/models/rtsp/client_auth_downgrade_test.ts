/**
 * A camera that offers Digest the client cannot answer (SHA-256, MD5-sess, a malformed one) and
 * Basic beside it: answering Basic sends the password in clear where ffmpeg (which picked the
 * pulls before Vigil's own client) would have kept to Digest and failed closed.
 */
import assert from "node:assert/strict";
import { pickChallenge } from "../../../models/rtsp/client_auth.ts";

Deno.test("pickChallenge() does not fall back to Basic when the camera offers a Digest it cannot answer", async (t) => {
  const cases: [string, string[]][] = [
    ["Digest SHA-256 and Basic", [
      'Digest realm="c", nonce="n", algorithm=SHA-256',
      'Basic realm="c"',
    ]],
    ["Digest MD5-sess and Basic", [
      'Digest realm="c", nonce="n", algorithm=MD5-sess',
      'Basic realm="c"',
    ]],
    ["Basic first, Digest SHA-256 second", [
      'Basic realm="c"',
      'Digest realm="c", nonce="n", algorithm=SHA-256',
    ]],
    ["a malformed Digest and a Basic", ['Digest realm="c"', 'Basic realm="c"']],
  ];
  for (const [name, values] of cases) {
    await t.step(name, () => assert.equal(pickChallenge(values)?.scheme ?? null, null));
  }
});
