/**
 * Issue 24, CORS: a dashboard on a listed origin (`VIGIL_CORS_ORIGINS`) may call the API and the
 * `/live` media routes; any other origin gets no CORS header, and `*` is never an answer.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { loadConfig } from "../../models/config.ts";
import { ValidationError } from "../../models/errors.ts";

const LISTED = "https://dash.example:8123";
const OTHER = "https://evil.example";

function preflight(origin: string, path: string): Request {
  return new Request(`http://box${path}`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, last-event-id",
    },
  });
}

Deno.test({
  name: "a preflight from a listed origin is answered, one from another origin is not",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const t = await startTestApp(db, { corsOrigins: [LISTED] });
    try {
      for (const path of ["/api/cameras", "/api/events/stream", "/live/abc/index.m3u8"]) {
        const listed = await t.app.request(preflight(LISTED, path));
        assert.equal(listed.status, 204, path);
        assert.equal(listed.headers.get("access-control-allow-origin"), LISTED);
        assert.match(listed.headers.get("access-control-allow-headers")!, /authorization/);
        assert.match(listed.headers.get("access-control-allow-headers")!, /last-event-id/);
        assert.match(listed.headers.get("access-control-allow-methods")!, /DELETE/);
        const other = await t.app.request(preflight(OTHER, path));
        assert.equal(other.headers.get("access-control-allow-origin"), null, path);
        assert.notEqual(other.status, 204);
        await other.body?.cancel();
      }
    } finally {
      await t.close();
      await db.close();
    }
  },
});

Deno.test({
  name: "replies to a listed origin carry Access-Control-Allow-Origin, errors included",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const t = await startTestApp(db, { corsOrigins: [LISTED] });
    try {
      const ok = await t.app.request("/api/cameras", {
        headers: { origin: LISTED, authorization: `Bearer ${t.tokens.viewer}` },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("access-control-allow-origin"), LISTED);
      assert.match(ok.headers.get("vary") ?? "", /Origin/);
      await ok.body?.cancel();
      const refused = await t.app.request("/api/cameras", { headers: { origin: LISTED } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get("access-control-allow-origin"), LISTED);
      await refused.body?.cancel();
      const other = await t.app.request("/api/cameras", {
        headers: { origin: OTHER, authorization: `Bearer ${t.tokens.viewer}` },
      });
      assert.equal(other.status, 200);
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      await other.body?.cancel();
    } finally {
      await t.close();
      await db.close();
    }
  },
});

Deno.test("VIGIL_CORS_ORIGINS lists origins and refuses *, paths and other schemes", () => {
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(
    loadConfig({ VIGIL_CORS_ORIGINS: "https://dash.example:8123, http://HA.lan/" }).corsOrigins,
    ["https://dash.example:8123", "http://ha.lan"],
  );
  for (const bad of ["*", "https://*.example", "https://a.example/path", "ftp://a.example", "x"]) {
    assert.throws(() => loadConfig({ VIGIL_CORS_ORIGINS: bad }), ValidationError, bad);
  }
});
