/**
 * Issue 17, security: "tokens scoped to cameras". A token naming camera A must not list, read,
 * snapshot, stream or follow events of camera B — through any route, the live event feed, and the
 * events and detections queries (Frigate had exactly this leak, CVE-2026-33470).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { DETECTIONS, newDetection } from "../../models/store/detections.ts";
import { BatchWriter } from "../../actors/store/writer.ts";
import { eventView, getEvent } from "../../models/store/events.ts";
import { cameraFilter, tokenMaySee } from "../../models/auth.ts";
import { scopeOfPath } from "../../routes/shared/access.ts";
import type { TestDatabase } from "../support/databases.ts";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

/** Two cameras, an event with a snapshot and a detection on each. */
async function twoCameras(t: TestApp, db: TestDatabase) {
  const ids: string[] = [];
  for (const name of ["a", "b"]) {
    const created = await t.call("POST", "/api/cameras", {
      body: { name, rtspUrl: "rtsp://127.0.0.1:9/x" },
    });
    assert.equal(created.status, 201);
    ids.push((await created.json()).id);
  }
  const [a, b] = ids as [string, string];
  const events: string[] = [];
  for (const camera of [a, b]) {
    const id = crypto.randomUUID();
    const snapshot = `${crypto.randomUUID()}.jpg`;
    await Deno.mkdir(join(db.dataDir, "snapshots", camera), { recursive: true });
    await Deno.writeFile(join(db.dataDir, "snapshots", camera, snapshot), JPEG);
    await db.sql`insert into events (id, camera_id, kind, label, started_at, snapshot_path)
                 values (${id}, ${camera}, 'object', 'person', now(), ${snapshot})`;
    events.push(id);
  }
  const writer = await BatchWriter.open({
    sql: db.sql,
    spec: DETECTIONS,
    name: "scopes",
    dataDir: db.dataDir,
  });
  for (const camera of [a, b]) {
    writer.push(newDetection({
      cameraId: camera,
      ts: Date.now(),
      frame: 1,
      trackId: null,
      label: "person",
      score: 0.9,
      box: [0.1, 0.1, 0.2, 0.2],
    }));
  }
  await writer.stop();
  return { a, b, eventA: events[0]!, eventB: events[1]! };
}

/**
 * Reads an SSE response until `until` appears in it or the feed has been quiet a while; calls
 * `publish` once the feed says `ready` (it is subscribed by then, however slow the box).
 */
async function readFeed(
  response: Response,
  until: string,
  publish: () => Promise<void>,
  quietMs = 5000,
): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let published = false;
  try {
    while (!text.includes(until)) {
      if (!published && text.includes("event: ready")) {
        published = true;
        await publish();
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), quietMs);
      });
      const chunk = await Promise.race([reader.read(), quiet]);
      clearTimeout(timer);
      if (!chunk || chunk.done) break;
      text += chunk.value;
    }
  } finally {
    await reader.cancel();
  }
  return text;
}

forEachDatabase(
  "tokens scoped to cameras (issue 17): a token naming camera A cannot list, read, snapshot, stream or follow events of camera B",
  async (db, ctx) => {
    const t = await startTestApp(db);
    try {
      const { a, b, eventA, eventB } = await twoCameras(t, db);
      const created = await t.call("POST", "/api/tokens", {
        body: { name: "porch screen", role: "viewer", cameras: [a.toUpperCase()] },
      });
      assert.equal(created.status, 201);
      const scoped = await created.json();
      assert.deepEqual(scoped.cameras, [a]);
      const as = (path: string) => t.call("GET", path, { token: scoped.token });
      const ids = async (path: string) =>
        (await (await as(path)).json()).items.map((item: { id: string }) => item.id);

      await ctx.step("lists only its cameras", async () => {
        assert.deepEqual(await ids("/api/cameras"), [a]);
      });
      await ctx.step("another camera, and everything under it, answers 404", async () => {
        assert.equal((await as(`/api/cameras/${a}`)).status, 200);
        for (
          const path of [
            `/api/cameras/${b}`,
            `/api/cameras/${b.toUpperCase()}`,
            `/api/cameras/${b}/snapshot.jpg`,
            `/api/cameras/${b}/analytics`,
          ]
        ) {
          const response = await as(path);
          assert.equal(response.status, 404, path);
          assert.equal((await response.json()).error.code, "not_found");
        }
      });
      await ctx.step("events: only its cameras', by list, id and snapshot", async () => {
        assert.deepEqual(await ids("/api/events"), [eventA]);
        assert.deepEqual(await ids(`/api/events?camera=${b}`), []);
        assert.deepEqual(await ids(`/api/events?camera=${a}`), [eventA]);
        assert.equal((await as(`/api/events/${eventA}`)).status, 200);
        assert.equal((await as(`/api/events/${eventA}/snapshot.jpg`)).status, 200);
        assert.equal((await as(`/api/events/${eventB}`)).status, 404);
        assert.equal((await as(`/api/events/${eventB}/snapshot.jpg`)).status, 404);
      });
      await ctx.step("detections: only its cameras'", async () => {
        const cams = async (path: string) =>
          (await (await as(path)).json()).items.map((item: { camera: string }) => item.camera);
        assert.deepEqual(await cams("/api/detections"), [a]);
        assert.deepEqual(await cams(`/api/detections?camera=${b}`), []);
      });
      await ctx.step("the live feed carries only its cameras' events", async () => {
        assert.equal((await as(`/api/events/stream?camera=${b}`)).status, 404);
        const feed = await as("/api/events/stream");
        assert.equal(feed.status, 200);
        const viewB = eventView(await getEvent(db.sql, eventB));
        const viewA = eventView(await getEvent(db.sql, eventA));
        const text = await readFeed(feed, eventA, () => {
          t.events.publish({ action: "open", event: viewB });
          t.events.publish({ action: "open", event: viewA });
          return Promise.resolve();
        });
        assert.ok(text.includes(eventA), "its camera's event arrives");
        assert.ok(!text.includes(eventB), "the other camera's does not");
        assert.ok(!text.includes(b), "nor anything naming the other camera");
      });
      await ctx.step("box-wide routes are closed to it", async () => {
        assert.equal((await as("/api/discovery")).status, 403);
      });
      await ctx.step("an unlimited viewer still sees both cameras", async () => {
        const all = await t.call("GET", "/api/cameras", { token: t.tokens.viewer });
        assert.equal((await all.json()).items.length, 2);
        const events = await t.call("GET", "/api/events", { token: t.tokens.viewer });
        assert.equal((await events.json()).items.length, 2);
      });
      await ctx.step("a media token limited to A follows only A's events", async () => {
        const media = await (await t.call("POST", "/api/tokens", {
          body: { name: "relay", role: "media", cameras: [a] },
        })).json();
        const feed = await t.call("GET", "/api/events/stream", { token: media.token });
        const text = await readFeed(feed, eventA, async () => {
          t.events.publish({ action: "close", event: eventView(await getEvent(db.sql, eventB)) });
          t.events.publish({ action: "close", event: eventView(await getEvent(db.sql, eventA)) });
        });
        assert.ok(text.includes(eventA) && !text.includes(eventB));
      });
    } finally {
      await t.close();
    }
  },
);

forEachDatabase(
  "a token's cameras are checked when it is created and listed with it",
  async (db) => {
    const t = await startTestApp(db);
    try {
      const camera = await (await t.call("POST", "/api/cameras", {
        body: { name: "a", rtspUrl: "rtsp://127.0.0.1:9/x" },
      })).json();
      const refused: [unknown, RegExp][] = [
        [
          { name: "x", role: "admin", cameras: [camera.id] },
          /cameras must be left out for an admin/,
        ],
        [
          { name: "x", role: "metrics", cameras: [camera.id] },
          /cameras must be left out for a metrics token/,
        ],
        [{ name: "x", role: "viewer", cameras: [] }, /cameras/],
        [{ name: "x", role: "viewer", cameras: ["not-a-uuid"] }, /cameras\.0/],
        [
          { name: "x", role: "viewer", cameras: [camera.id, crypto.randomUUID()] },
          /cameras\.1 is not a camera/,
        ],
      ];
      for (const [body, message] of refused) {
        const response = await t.call("POST", "/api/tokens", { body });
        assert.equal(response.status, 422, JSON.stringify(body));
        assert.match((await response.json()).error.message, message);
      }
      const before = await db.sql`select 1 from tokens`;
      assert.equal(before.length, 3, "nothing stored by a refused request");
      await t.call("POST", "/api/tokens", {
        body: { name: "y", role: "viewer", cameras: [camera.id] },
      });
      const listed = (await (await t.call("GET", "/api/tokens")).json()).items;
      assert.deepEqual(listed.map((token: { cameras: unknown }) => token.cameras), [
        null,
        null,
        null,
        [camera.id],
      ]);
    } finally {
      await t.close();
    }
  },
);

Deno.test("tokenMaySee() and cameraFilter() hold a token to its cameras", () => {
  const a = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e";
  const b = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6f";
  assert.equal(tokenMaySee({ cameras: null }, b), true);
  assert.equal(tokenMaySee({ cameras: [a] }, a.toUpperCase()), true);
  assert.equal(tokenMaySee({ cameras: [a] }, b), false);
  assert.deepEqual(cameraFilter({ cameras: null }, undefined), {});
  assert.deepEqual(cameraFilter({ cameras: null }, b), { camera: b });
  assert.deepEqual(cameraFilter({ cameras: [a] }, undefined), { cameras: [a] });
  assert.deepEqual(cameraFilter({ cameras: [a] }, a), { camera: a });
  assert.equal(cameraFilter({ cameras: [a] }, b), "none");
});

Deno.test("scopeOfPath() names the camera of camera paths and closes every unknown path", () => {
  const id = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e";
  const cases: [string, ReturnType<typeof scopeOfPath>][] = [
    ["/api/cameras", { kind: "filtered" }],
    ["/api/cameras/", { kind: "filtered" }],
    [`/api/cameras/${id}`, { kind: "camera", camera: id }],
    [`/api/cameras/${id}/snapshot.jpg`, { kind: "camera", camera: id }],
    [`/api/cameras/${id}/suspected-move/accept`, { kind: "camera", camera: id }],
    [`/api/cameras/%E0`, { kind: "camera", camera: "%E0" }],
    ["/api/events", { kind: "filtered" }],
    ["/api/events/stream", { kind: "filtered" }],
    [`/api/events/${id}`, { kind: "filtered" }],
    [`/api/events/${id}/snapshot.jpg`, { kind: "filtered" }],
    [`/api/events/${id}/other`, { kind: "closed" }],
    ["/api/detections", { kind: "filtered" }],
    ["/api/discovery", { kind: "closed" }],
    ["/api/tokens", { kind: "closed" }],
    ["/api/metrics", { kind: "closed" }],
    [`/api/dispatch/${id}`, { kind: "camera", camera: id }],
    ["/api/live", { kind: "filtered" }],
    [`/api/live/${id}`, { kind: "filtered" }],
    [`/api/live/${id}/other`, { kind: "closed" }],
    [`/live/${id}/index.m3u8`, { kind: "filtered" }],
    [`/live/${id}/a/b`, { kind: "closed" }],
  ];
  for (const [path, scope] of cases) assert.deepEqual(scopeOfPath(path), scope, path);
});
