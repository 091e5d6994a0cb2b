/**
 * Issue 17, security: "failed authentication is rate-limited per client address (429 with
 * Retry-After), logged without the token". The client address is what Deno.serve passes the app
 * (`remoteAddr`), given here as `app.request`'s env.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { configureLogging } from "../../models/log.ts";

const from = (hostname: string) => ({ remoteAddr: { hostname, port: 40000, transport: "tcp" } });
const WRONG = "vgl_aaaaaaaaaaaa_" + "S".repeat(43);

forEachDatabase(
  "failed authentication (issue 17): rate-limited per client address with 429 and Retry-After, logged without the token",
  async (db) => {
    const t = await startTestApp(db);
    const lines: string[] = [];
    configureLogging("info", (line) => lines.push(line));
    try {
      const request = (hostname: string, token?: string) =>
        t.app.request("/api/cameras", {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }, from(hostname));

      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push((await request("192.0.2.7", WRONG)).status);
      }
      assert.deepEqual(statuses, Array(10).fill(401), "ten failures are answered 401");
      const limited = await request("192.0.2.7", WRONG);
      assert.equal(limited.status, 429);
      assert.equal((await limited.json()).error.code, "too_many_requests");
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 6,
        `${retryAfter}`,
      );
      // A right token from the blocked address is refused too: a guesser learns nothing.
      assert.equal((await request("192.0.2.7", t.tokens.admin)).status, 429);
      // Another address is not affected, and its own failures are its own.
      assert.equal((await request("192.0.2.8", t.tokens.viewer)).status, 200);
      assert.equal((await request("192.0.2.8", WRONG)).status, 401);

      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
      assert.equal((await request("192.0.2.7", t.tokens.admin)).status, 200, "allowed again");

      const failures = lines.filter((l) => l.includes('"authentication failed"'));
      assert.equal(failures.length, 11, "each failure logged once; blocked requests are not");
      assert.ok(failures.every((l) => !l.includes("S".repeat(43))), "no line carries the token");
      assert.ok(lines.every((l) => !l.includes(t.tokens.admin.slice(17))), "nor a real token");
      const last = JSON.parse(failures.at(-1)!);
      assert.equal(last.client, "192.0.2.8");
      assert.equal(last.presentedId, "aaaaaaaaaaaa");
      assert.equal(last.reason, "the token is not valid");
      assert.ok(
        failures.some((l) =>
          JSON.parse(l).blocked === true && JSON.parse(l).client === "192.0.2.7"
        ),
      );
    } finally {
      configureLogging("info", (line) => console.error(line));
      await t.close();
    }
  },
);

forEachDatabase(
  "requests with no Authorization header do not count as failed authentications: they cannot lock out a valid token",
  async (db) => {
    const t = await startTestApp(db);
    try {
      for (let i = 0; i < 30; i++) {
        const res = await t.app.request("/api/cameras", {}, from("192.0.2.9"));
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
      const ok = await t.app.request("/api/cameras", {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
      }, from("192.0.2.9"));
      assert.equal(ok.status, 200, "the address is not blocked");
      await ok.body?.cancel();
    } finally {
      await t.close();
    }
  },
);
