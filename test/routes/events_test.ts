import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { BatchWriter } from "../../actors/store/writer.ts";
import { type EventRow, EVENTS } from "../../models/store/events.ts";
import { uuidv7 } from "../../models/ids.ts";
import { createToken, revokeToken } from "../../models/auth.ts";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

forEachDatabase("GET /api/events lists, filters, reads and serves snapshots", async (db, ctx) => {
  const t = await startTestApp(db);
  try {
    const created = await t.call("POST", "/api/cameras", {
      body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/x" },
    });
    const camera: string = (await created.json()).id;
    const base = Date.UTC(2026, 10, 25, 14, 0, 0);
    const rows: EventRow[] = ["person", "car", "person"].map((label, i) => ({
      id: uuidv7(base + i * 60_000),
      cameraId: camera,
      kind: i === 2 ? "zone" : "object",
      label,
      trackId: uuidv7(),
      zone: i === 2 ? "door" : null,
      startedAt: base + i * 60_000,
      endedAt: i === 0 ? base + 30_000 : null,
      bestScore: 0.9,
      snapshot: i === 0 ? `${uuidv7()}.jpg` : null,
      details: i === 2 ? { direction: "in" } : {},
    }));
    const writer = await BatchWriter.open({
      sql: db.sql,
      spec: EVENTS,
      name: "events-route-test",
      dataDir: db.dataDir,
    });
    for (const row of rows) writer.push(row);
    await writer.stop();
    await Deno.mkdir(join(db.dataDir, "snapshots", camera), { recursive: true });
    await Deno.writeFile(join(db.dataDir, "snapshots", camera, rows[0]!.snapshot!), JPEG);

    await ctx.step("newest first, paged", async () => {
      const first = await (await t.call("GET", "/api/events?limit=2")).json();
      assert.deepEqual(first.items.map((e: { id: string }) => e.id), [rows[2]!.id, rows[1]!.id]);
      const second = await (await t.call("GET", `/api/events?limit=2&cursor=${first.next}`))
        .json();
      const oldest = await (await t.call("GET", `/api/events/${rows[0]!.id}`)).json();
      assert.deepEqual(second, { items: [oldest], next: null });
    });
    await ctx.step("filtered by kind, label and time", async () => {
      const query = `kind=object&label=person&from=2026-11-25T14:00:00Z&to=2026-11-25T14:01:00Z`;
      const page = await (await t.call("GET", `/api/events?${query}`)).json();
      assert.deepEqual(page.items.map((e: { id: string }) => e.id), [rows[0]!.id]);
    });
    await ctx.step("one event, and its snapshot", async () => {
      const event = await (await t.call("GET", `/api/events/${rows[2]!.id}`)).json();
      assert.equal(event.zone, "door");
      assert.deepEqual(event.details, { direction: "in" });
      const jpeg = await t.call("GET", `/api/events/${rows[0]!.id}/snapshot.jpg`);
      assert.equal(jpeg.headers.get("content-type"), "image/jpeg");
      assert.deepEqual(new Uint8Array(await jpeg.arrayBuffer()), JPEG);
      const none = await t.call("GET", `/api/events/${rows[1]!.id}/snapshot.jpg`);
      assert.equal(none.status, 404);
      await none.body?.cancel();
    });
    const bad: [string, number, RegExp][] = [
      ["/api/events?kind=explosion", 400, /kind must be one of object, zone/],
      ["/api/events?cursor=nope", 400, /cursor is not valid/],
      [`/api/events?cursor=${uuidv7()}`, 400, /cursor is not valid/],
      ["/api/events?colour=red", 400, /colour is not a known parameter/],
      ["/api/events?from=2026-11-25T15:00:00Z&to=2026-11-25T14:00:00Z", 422, /from must be before/],
      ["/api/events/not-a-uuid", 400, /id must be a UUID/],
      [`/api/events/${uuidv7()}`, 404, /not found/],
      ["/api/events/stream?camera=3", 400, /camera must be a UUID/],
    ];
    for (const [path, status, message] of bad) {
      await ctx.step(`${path} answers ${status}`, async () => {
        const response = await t.call("GET", path);
        assert.equal(response.status, status);
        assert.match((await response.json()).error.message, message);
      });
    }
    await ctx.step("the live feed opens with a ready message", async () => {
      const abort = new AbortController();
      const response = await t.app.request(`/api/events/stream?camera=${camera}`, {
        headers: { authorization: `Bearer ${t.tokens.viewer}` },
        signal: abort.signal,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = response.body!.getReader();
      const { value } = await reader.read();
      assert.match(new TextDecoder().decode(value), /event: ready/);
      abort.abort();
      await reader.cancel();
    });
  } finally {
    await t.close();
  }
});

forEachDatabase(
  "revocation cuts off the live event feed: the feed of a revoked token ends at its next heartbeat",
  async (db) => {
    const t = await startTestApp(db, { feedHeartbeatMs: 200 });
    try {
      const { token, info } = await createToken(db.sql, "dashboard", "viewer");
      const response = await t.app.request("/api/events/stream", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /event: ready/);
      assert.match(new TextDecoder().decode((await reader.read()).value), /keep-alive/);
      await revokeToken(db.sql, info.id);
      const deadline = Date.now() + 15_000;
      let done = false;
      while (!done && Date.now() < deadline) done = (await reader.read()).done;
      assert.ok(done, "the feed ended after the revocation");
    } finally {
      await t.close();
    }
  },
);
