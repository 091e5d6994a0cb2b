import assert from "node:assert/strict";
import {
  basicChallenge,
  digestChallenge,
  digestResponse,
  parseAuthorization,
  verifyDigest,
} from "../../../models/rtsp/auth.ts";

Deno.test("parseAuthorization() reads Basic and Digest and refuses anything else", async (t) => {
  const digest = 'Digest username="vigil", realm="Vigil", nonce="abc", ' +
    'uri="rtsp://h/cam/1", response="0123456789abcdef0123456789ABCDEF"';
  const cases: [string, string | undefined, unknown][] = [
    ["Basic", "Basic " + btoa("vigil:s3cr:et"), {
      scheme: "basic",
      username: "vigil",
      password: "s3cr:et",
    }],
    ["Basic with an empty user", "Basic " + btoa(":tok"), {
      scheme: "basic",
      username: "",
      password: "tok",
    }],
    ["Digest", digest, {
      scheme: "digest",
      username: "vigil",
      realm: "Vigil",
      nonce: "abc",
      uri: "rtsp://h/cam/1",
      response: "0123456789abcdef0123456789abcdef",
      qop: undefined,
      nc: undefined,
      cnonce: undefined,
    }],
    ["absent", undefined, null],
    ["Bearer", "Bearer abc", null],
    ["Basic without a colon", "Basic " + btoa("nocolon"), null],
    ["Basic that is not base64", "Basic ***", null],
    ["Digest without response", 'Digest username="a", realm="b", nonce="c", uri="d"', null],
    ["Digest with SHA-256", digest + ", algorithm=SHA-256", null],
    ["Digest with trailing garbage", digest + ' "', null],
    ["an oversized header", "Basic " + "A".repeat(4000), null],
  ];
  for (const [name, value, want] of cases) {
    await t.step(name, () => assert.deepEqual(parseAuthorization(value), want));
  }
});

Deno.test("digestResponse() matches RFC 2617's worked example and verifyDigest() checks it", () => {
  // RFC 2617 §3.5 (qop=auth).
  const c = {
    username: "Mufasa",
    realm: "testrealm@host.com",
    nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    uri: "/dir/index.html",
    qop: "auth",
    nc: "00000001",
    cnonce: "0a4f113b",
  };
  assert.equal(digestResponse(c, "Circle Of Life", "GET"), "6629fae49393a05397450978507c4ef1");
  const credentials = {
    scheme: "digest" as const,
    ...c,
    response: "6629fae49393a05397450978507c4ef1",
  };
  assert.ok(verifyDigest(credentials, "Circle Of Life", "GET"));
  assert.ok(!verifyDigest(credentials, "Circle of Life", "GET"));
  assert.ok(!verifyDigest(credentials, "Circle Of Life", "DESCRIBE"));
});

Deno.test("challenges name the realm and nonce without letting them break the header", () => {
  assert.equal(basicChallenge("Vigil"), 'Basic realm="Vigil"');
  assert.equal(digestChallenge('Vi"gil', "n1"), 'Digest realm="Vigil", nonce="n1", algorithm=MD5');
});
