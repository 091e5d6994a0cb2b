import assert from "node:assert/strict";
import {
  createUsernameToken,
  formatCreated,
  passwordDigest,
  readUsernameToken,
  usernameTokenXml,
  verifyUsernameToken,
} from "../../../models/onvif/ws_security.ts";
import { findChild, parseXml } from "../../../models/onvif/xml.ts";

const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i);
const NOW = Date.UTC(2026, 0, 1, 10, 0, 0);
const HOURS_2 = 2 * 3_600_000;

Deno.test("passwordDigest() is Base64(SHA1(nonce + created + password))", () => {
  // Reference value computed with Python's hashlib for the same inputs.
  assert.equal(
    passwordDigest(NONCE, "2026-01-01T00:00:00Z", "secret"),
    "Zp5M/ztyvf9G14qXDvS2VCbwotA=",
  );
});

Deno.test("createUsernameToken() writes Created in the device's clock, without milliseconds", () => {
  const token = createUsernameToken({
    username: "admin",
    password: "secret",
    timeOffsetMs: HOURS_2,
    now: NOW + 123,
    nonce: NONCE,
  });
  assert.equal(token.created, "2026-01-01T12:00:00Z");
  assert.equal(token.nonce, "AAECAwQFBgcICQoLDA0ODw==");
  assert.equal(token.digest, passwordDigest(NONCE, token.created, "secret"));
  assert.equal(formatCreated(NOW), "2026-01-01T10:00:00Z");
});

Deno.test("a token survives the trip through its XML header", () => {
  const token = createUsernameToken({ username: "a<d>min", password: "pw", now: NOW });
  const header = parseXml(
    `<s:Header xmlns:s="x">${usernameTokenXml(token)}</s:Header>`,
  );
  assert.deepEqual(readUsernameToken(header), token);
  assert.equal(readUsernameToken(findChild(header, "Nothing")), undefined);
});

Deno.test("verifyUsernameToken() accepts a fresh token once and refuses what a camera refuses", async (t) => {
  const account = { username: "admin", password: "secret", now: NOW + HOURS_2 };
  const fresh = () =>
    createUsernameToken({ username: "admin", password: "secret", timeOffsetMs: HOURS_2, now: NOW });

  await t.step("a token in the camera's clock is accepted, then its nonce is refused", () => {
    const seen = new Map<string, number>();
    const token = fresh();
    assert.equal(verifyUsernameToken(token, account, seen), "ok");
    assert.equal(verifyUsernameToken(token, account, seen), "replayed");
  });
  await t.step("a token in OUR clock is stale for a camera two hours ahead", () => {
    const token = createUsernameToken({ username: "admin", password: "secret", now: NOW });
    assert.equal(verifyUsernameToken(token, account, new Map()), "stale");
  });
  await t.step("a wrong password is a bad digest", () => {
    const token = createUsernameToken({
      username: "admin",
      password: "wrong",
      timeOffsetMs: HOURS_2,
      now: NOW,
    });
    assert.equal(verifyUsernameToken(token, account, new Map()), "bad_digest");
  });
  await t.step("another user is unknown", () => {
    assert.equal(
      verifyUsernameToken({ ...fresh(), username: "x" }, account, new Map()),
      "unknown_user",
    );
  });
  await t.step("garbage is malformed", () => {
    assert.equal(
      verifyUsernameToken({ ...fresh(), nonce: "%%%" }, account, new Map()),
      "malformed",
    );
    assert.equal(
      verifyUsernameToken({ ...fresh(), created: "yesterday" }, account, new Map()),
      "malformed",
    );
  });
  await t.step("expired nonces are forgotten", () => {
    const seen = new Map([["old", NOW - 1]]);
    verifyUsernameToken(fresh(), account, seen);
    assert.equal(seen.has("old"), false);
    assert.equal(seen.size, 1);
  });
});
