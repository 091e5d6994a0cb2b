import assert from "node:assert/strict";
import { checkSignedPath, signPath } from "../../../models/rtsp/signed_url.ts";

const key = new Uint8Array(32).fill(7);
const query = (text: string) => Object.fromEntries(new URLSearchParams(text));

Deno.test("checkSignedPath() accepts its own signature until it expires, for that path only", async (t) => {
  const signed = query(signPath(key, "/cam/1", 1000));
  const cases: {
    name: string;
    path: string;
    q: Record<string, string>;
    now: number;
    want: string;
  }[] = [
    { name: "valid", path: "/cam/1", q: signed, now: 999, want: "ok" },
    { name: "expired", path: "/cam/1", q: signed, now: 1001, want: "expired" },
    { name: "another path", path: "/cam/2", q: signed, now: 999, want: "invalid" },
    {
      name: "an extended expiry",
      path: "/cam/1",
      q: { ...signed, exp: "2000" },
      now: 999,
      want: "invalid",
    },
    {
      name: "another key",
      path: "/cam/1",
      q: query(signPath(new Uint8Array(32), "/cam/1", 1000)),
      now: 999,
      want: "invalid",
    },
    { name: "no signature", path: "/cam/1", q: {}, now: 999, want: "missing" },
    { name: "no expiry", path: "/cam/1", q: { sig: signed.sig! }, now: 999, want: "invalid" },
    {
      name: "a short signature",
      path: "/cam/1",
      q: { exp: "1000", sig: "abc" },
      now: 999,
      want: "invalid",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(checkSignedPath(key, c.path, c.q, c.now), c.want));
  }
});

Deno.test("signPath() refuses a short key and a bad expiry", () => {
  assert.throws(() => signPath(new Uint8Array(8), "/cam/1", 1), RangeError);
  assert.throws(() => signPath(key, "/cam/1", 1.5), RangeError);
});
