import assert from "node:assert/strict";
import {
  authorization,
  MAX_CHALLENGE_LENGTH,
  parseChallenge,
  pickChallenge,
} from "../../../models/rtsp/client_auth.ts";
import { parseAuthorization, verifyDigest } from "../../../models/rtsp/auth.ts";

Deno.test("parseChallenge() reads a camera's Basic and Digest challenges and refuses the rest", async (t) => {
  const cases: [string, string, unknown][] = [
    ["Basic", 'Basic realm="IP Camera"', { scheme: "basic", realm: "IP Camera" }],
    ["Basic without a realm", "Basic", { scheme: "basic", realm: "" }],
    ["Digest", 'Digest realm="cam", nonce="abc"', {
      scheme: "digest",
      realm: "cam",
      nonce: "abc",
      opaque: undefined,
      qop: undefined,
      stale: false,
    }],
    [
      "Digest with qop list, opaque, stale, MD5",
      'digest realm="c", nonce="n", ' +
      'qop="auth,auth-int", opaque="o", stale=TRUE, algorithm=MD5',
      {
        scheme: "digest",
        realm: "c",
        nonce: "n",
        opaque: "o",
        qop: "auth",
        stale: true,
      },
    ],
    [
      "Digest offering only auth-int falls back to no qop",
      'Digest realm="c", nonce="n", ' +
      'qop="auth-int"',
      {
        scheme: "digest",
        realm: "c",
        nonce: "n",
        opaque: undefined,
        qop: undefined,
        stale: false,
      },
    ],
    ["Digest with an escaped quote", 'Digest realm="a\\"b", nonce="n"', {
      scheme: "digest",
      realm: 'a"b',
      nonce: "n",
      opaque: undefined,
      qop: undefined,
      stale: false,
    }],
    ["Digest without a nonce", 'Digest realm="c"', null],
    ["Digest without a realm", 'Digest nonce="n"', null],
    ["Digest with SHA-256", 'Digest realm="c", nonce="n", algorithm=SHA-256', null],
    ["another scheme", 'Bearer realm="c"', null],
    ["an unterminated quote", 'Digest realm="c, nonce="n', null],
    ["oversized", `Digest realm="${"x".repeat(MAX_CHALLENGE_LENGTH)}", nonce="n"`, null],
  ];
  for (const [name, value, expected] of cases) {
    await t.step(name, () => assert.deepEqual(parseChallenge(value), expected));
  }
});

Deno.test("pickChallenge() prefers Digest over Basic, which sends the password in clear", async (t) => {
  const cases: [string, string[], string | null][] = [
    ["Basic first, Digest second", ['Basic realm="c"', 'Digest realm="c", nonce="n"'], "digest"],
    ["Basic alone", ['Basic realm="c"'], "basic"],
    ["a malformed Digest and a Basic", ['Digest realm="c"', 'Basic realm="c"'], null],
    ["nothing answerable", ["Negotiate", 'Bearer realm="x"'], null],
    ["none", [], null],
  ];
  for (const [name, values, scheme] of cases) {
    await t.step(name, () => assert.equal(pickChallenge(values)?.scheme ?? null, scheme));
  }
});

Deno.test("authorization() answers Digest as RFC 2617's worked example does", () => {
  // RFC 2617 §3.5: the response for this exchange is 6629fae49393a05397450978507c4ef1.
  const value = authorization(
    {
      scheme: "digest",
      realm: "testrealm@host.com",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      opaque: "5ccc069c403ebaf9f0171e9517f40e41",
      qop: "auth",
      stale: false,
    },
    { username: "Mufasa", password: "Circle Of Life" },
    { method: "GET", uri: "/dir/index.html" },
    1,
    "0a4f113b",
  );
  assert.match(value, /^Digest /);
  assert.match(value, /response="6629fae49393a05397450978507c4ef1"/);
  assert.match(value, /nc=00000001/);
  assert.match(value, /cnonce="0a4f113b"/);
  assert.match(value, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
});

Deno.test("authorization() writes what a server's parser accepts and verifies", async (t) => {
  const credentials = { username: 'ad"min', password: "pä:ss" };
  const request = { method: "DESCRIBE", uri: "rtsp://10.0.0.2:554/Streaming/101" };
  const cases: [string, "auth" | undefined][] = [["without qop", undefined], ["with qop", "auth"]];
  for (const [name, qop] of cases) {
    await t.step(`Digest ${name}`, () => {
      const challenge = {
        scheme: "digest" as const,
        realm: "cam",
        nonce: "n0nce",
        opaque: undefined,
        qop,
        stale: false,
      };
      const parsed = parseAuthorization(authorization(challenge, credentials, request, 7, "c1"));
      assert.equal(parsed?.scheme, "digest");
      if (parsed?.scheme !== "digest") return;
      assert.equal(parsed.username, credentials.username);
      assert.equal(parsed.nc, qop ? "00000007" : undefined);
      assert.ok(verifyDigest(parsed, credentials.password, "DESCRIBE"));
      assert.ok(!verifyDigest(parsed, credentials.password, "PLAY"), "bound to the method");
      assert.ok(!verifyDigest(parsed, "wrong", "DESCRIBE"));
    });
  }
  await t.step("Basic", () => {
    const value = authorization({ scheme: "basic", realm: "cam" }, credentials, request, 1, "c");
    assert.deepEqual(parseAuthorization(value), { scheme: "basic", ...credentials });
  });
});
