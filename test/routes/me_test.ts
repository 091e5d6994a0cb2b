/**
 * Issue 24: `GET /api/me` tells a token who it is — name, role and camera scope — for every role,
 * so the console reads its role instead of probing routes.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { createToken } from "../../models/auth.ts";

Deno.test({
  name: "GET /api/me answers every role's name, role and camera scope",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const t = await startTestApp(db);
    try {
      const created = await t.call("POST", "/api/cameras", {
        body: { name: "door", rtspUrl: "rtsp://127.0.0.1:9/x" },
      });
      const camera: string = (await created.json()).id;
      const metrics = (await createToken(db.sql, "scraper", "metrics")).token;
      const scoped = (await createToken(db.sql, "hall", "viewer", [camera])).token;
      const cases = [
        { token: t.tokens.admin, want: { name: "test admin", role: "admin", cameras: null } },
        { token: t.tokens.viewer, want: { name: "test viewer", role: "viewer", cameras: null } },
        { token: t.tokens.media, want: { name: "test media", role: "media", cameras: null } },
        { token: metrics, want: { name: "scraper", role: "metrics", cameras: null } },
        { token: scoped, want: { name: "hall", role: "viewer", cameras: [camera] } },
      ];
      for (const { token, want } of cases) {
        const response = await t.call("GET", "/api/me", { token });
        assert.equal(response.status, 200, want.name);
        assert.deepEqual(await response.json(), want);
      }
      const refused = await t.call("GET", "/api/me", { token: "vgl_nope" });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
    } finally {
      await t.close();
      await db.close();
    }
  },
});
