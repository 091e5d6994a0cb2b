import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { permissionFor } from "../../routes/shared/access.ts";
import { constantTimeEqual } from "../../models/auth.ts";

const camera = { name: "door", rtspUrl: "rtsp://127.0.0.1:9/x" };

forEachDatabase("requests without a valid token answer 401; health stays open", async (db) => {
  const t = await startTestApp(db);
  try {
    assert.equal((await t.app.request("/api/cameras")).status, 401);
    const wrong = await t.app.request("/api/cameras", {
      headers: { authorization: "Bearer vgl_aaaaaaaaaaaa_" + "x".repeat(43) },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, "unauthorized");
    const health = await t.app.request("/api/health");
    assert.equal(health.status, 200);
    assert.deepEqual(
      { status: (await health.json()).status },
      { status: "ok" },
    );
  } finally {
    await t.close();
  }
});

forEachDatabase("a viewer can read but not create cameras (403)", async (db) => {
  const t = await startTestApp(db);
  try {
    const denied = await t.call("POST", "/api/cameras", { body: camera, token: t.tokens.viewer });
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).error.code, "forbidden");
    assert.equal((await t.call("GET", "/api/cameras", { token: t.tokens.viewer })).status, 200);
    assert.equal((await t.call("GET", "/api/cameras", { token: t.tokens.media })).status, 403);
    const rows = await db.sql`select 1 from cameras`;
    assert.equal(rows.length, 0);
  } finally {
    await t.close();
  }
});

forEachDatabase("an admin creates tokens whose role is enforced", async (db) => {
  const t = await startTestApp(db);
  try {
    const created = await t.call("POST", "/api/tokens", { body: { name: "wall", role: "viewer" } });
    assert.equal(created.status, 201);
    const { token, role } = await created.json();
    assert.equal(role, "viewer");
    assert.equal((await t.call("GET", "/api/cameras", { token })).status, 200);
    assert.equal(
      (await t.call("POST", "/api/tokens", { body: { name: "x", role: "admin" }, token })).status,
      403,
    );
    const stored = await db.sql<{ secret_sha256: string }[]>`select secret_sha256 from tokens`;
    assert.ok(stored.every((row) => !token.includes(row.secret_sha256)));
    const bad = await t.call("POST", "/api/tokens", { body: { name: "x", role: "root" } });
    assert.equal(bad.status, 422);

    const listed = await (await t.call("GET", "/api/tokens")).json();
    assert.ok(listed.items.some((i: { name: string }) => i.name === "wall"));
    assert.doesNotMatch(JSON.stringify(listed), /vgl_|sha256/);
    assert.equal(
      (await t.call("GET", "/api/tokens", { token })).status,
      403,
      "viewers cannot list",
    );

    const id = token.split("_")[1];
    assert.equal((await t.call("DELETE", `/api/tokens/${id}`)).status, 204);
    assert.equal((await t.call("GET", "/api/cameras", { token })).status, 401, "revoked");
    assert.equal((await t.call("DELETE", "/api/tokens/NOT-AN-ID")).status, 400);
    assert.equal((await t.call("DELETE", "/api/tokens/aaaaaaaaaaaa")).status, 404);
  } finally {
    await t.close();
  }
});

forEachDatabase("the last admin token cannot be revoked", async (db) => {
  const t = await startTestApp(db);
  try {
    const admins = (await (await t.call("GET", "/api/tokens")).json()).items
      .filter((i: { role: string }) => i.role === "admin");
    assert.equal(admins.length, 1);
    const last = await t.call("DELETE", `/api/tokens/${admins[0].id}`);
    assert.equal(last.status, 409);
    assert.equal((await t.call("GET", "/api/cameras")).status, 200, "the admin still works");
  } finally {
    await t.close();
  }
});

forEachDatabase("GET /api/tokens shows when each token was last used", async (db) => {
  const t = await startTestApp(db);
  try {
    const created = await t.call("POST", "/api/tokens", { body: { name: "wall", role: "viewer" } });
    const { id, token, lastUsedAt } = await created.json();
    assert.equal(lastUsedAt, null);
    const before = Date.now();
    assert.equal((await t.call("GET", "/api/cameras", { token })).status, 200);
    const listed = await (await t.call("GET", "/api/tokens")).json();
    const wall = listed.items.find((i: { id: string }) => i.id === id);
    assert.ok(wall.lastUsedAt, "written on use");
    assert.ok(Date.parse(wall.lastUsedAt) >= before - 1000, wall.lastUsedAt);
    const media = listed.items.find((i: { name: string }) => i.name === "test media");
    assert.equal(media.lastUsedAt, null, "a token never presented stays null");
  } finally {
    await t.close();
  }
});

Deno.test("permissionFor() maps methods and paths to the permission they need", () => {
  assert.equal(permissionFor("GET", "/api/tokens"), "write");
  assert.equal(permissionFor("GET", "/api/cameras"), "read");
  assert.equal(permissionFor("POST", "/api/cameras"), "write");
  assert.equal(permissionFor("DELETE", "/api/cameras/x"), "write");
  assert.equal(permissionFor("GET", "/api/dispatch/cam"), "dispatch");
  assert.equal(permissionFor("PUT", "/api/live/s1"), "live");
  assert.equal(permissionFor("GET", "/api/cameras/x/recordings"), "playback");
  assert.equal(permissionFor("GET", "/api/records/x/file"), "playback");
  assert.equal(permissionFor("HEAD", "/api/records/x/file"), "playback");
  assert.equal(permissionFor("GET", "/api/records"), "playback");
  assert.equal(permissionFor("POST", "/api/records"), "write", "compiling is an admin's");
  assert.equal(permissionFor("GET", "/api/cameras/x/recording"), "read", "settings are not video");
  assert.equal(permissionFor("GET", "/api/recordsx"), "read");
  assert.equal(permissionFor("GET", "/api/cameras/x/relay"), "live");
  assert.equal(permissionFor("POST", "/api/cameras/x/relay"), "write");
});

Deno.test("constantTimeEqual() compares whole strings", () => {
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
});
