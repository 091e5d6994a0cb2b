/**
 * `GET /api/cluster/segments/{id}`: another box of the cluster fetches a recorded segment with a
 * credential signed by the cluster's key; nobody else gets it (no credential, a user token even an
 * admin's, a credential for another segment: 401), and an id that is not a segment's is 400/404
 * and changes nothing.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { uuidv7 } from "../../models/ids.ts";
import { segmentFile, segmentPath } from "../../models/recording/paths.ts";
import { signSegmentRequest } from "../../models/cluster/segment_credential.ts";

Deno.test("the segment endpoint serves a box's signed fetch and refuses everyone else", async (t) => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
    });
    const camera = (await made.json()).id as string;
    const startMs = Date.parse("2026-12-06T01:00:00Z");
    const id = uuidv7(startMs);
    const path = segmentPath(camera, startMs);
    const content = crypto.getRandomValues(new Uint8Array(5000));
    await Deno.mkdir(dirname(segmentFile(db.dataDir, path)), { recursive: true });
    await Deno.writeFile(segmentFile(db.dataDir, path), content);
    await db
      .sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes, duration_ms)
      values (${id}, ${camera}, ${path}, ${new Date(startMs)}, ${new Date(startMs + 2000)},
              ${content.length}, 2000)`;
    // A row whose file is not on this box (another box recorded it, storage not shared).
    const elsewhereMs = startMs + 2000;
    const elsewhere = uuidv7(elsewhereMs);
    await db
      .sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes, duration_ms)
      values (${elsewhere}, ${camera}, ${segmentPath(camera, elsewhereMs)},
              ${new Date(elsewhereMs)}, ${new Date(elsewhereMs + 2000)}, 10, 2000)`;
    const otherBox = uuidv7();
    const signed = (segmentId: string) =>
      signSegmentRequest(app.clusterKey, { segmentId, boxId: otherBox, nowMs: Date.now() });
    const get = (url: string, headers: Record<string, string> = {}) =>
      app.app.request(url, { headers });
    const state = async () => ({
      rows: (await db.sql`select id, path, bytes from segments order by id`).map((r) => ({ ...r })),
      file: await Deno.readFile(segmentFile(db.dataDir, path)),
    });
    const before = await state();

    await t.step("a signed fetch gets the file, whole or a range", async () => {
      const whole = await get(`/api/cluster/segments/${id}`, { authorization: signed(id) });
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get("content-type"), "video/mp4");
      assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), content);
      const part = await get(`/api/cluster/segments/${id}`, {
        authorization: signed(id),
        range: "bytes=100-199",
      });
      assert.equal(part.status, 206);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), content.slice(100, 200));
    });

    await t.step("no credential, a user token, another segment's credential: 401", async () => {
      const refused: [string, Record<string, string>][] = [
        ["none", {}],
        ["admin token", { authorization: `Bearer ${app.tokens.admin}` }],
        ["media token", { authorization: `Bearer ${app.tokens.media}` }],
        ["another segment's", { authorization: signed(elsewhere) }],
        ["garbage", { authorization: "VigilBox ../../etc/passwd" }],
      ];
      for (const [name, headers] of refused) {
        const reply = await get(`/api/cluster/segments/${id}`, headers);
        assert.equal(reply.status, 401, name);
        assert.equal((await reply.json()).error.code, "unauthorized", name);
        assert.match(reply.headers.get("www-authenticate") ?? "", /^VigilBox/, name);
      }
    });

    await t.step("an id that is not a segment's: 400 or 404", async () => {
      for (const bad of ["not-a-uuid", "..%2F..%2Fbox-id", encodeURIComponent(path)]) {
        const reply = await get(`/api/cluster/segments/${bad}`, { authorization: signed(bad) });
        assert.equal(reply.status, 400, bad);
      }
      const unknown = uuidv7();
      const none = await get(`/api/cluster/segments/${unknown}`, {
        authorization: signed(unknown),
      });
      assert.equal(none.status, 404);
      const notHere = await get(`/api/cluster/segments/${elsewhere}`, {
        authorization: signed(elsewhere),
      });
      assert.equal(notHere.status, 404);
      assert.match((await notHere.json()).error.message, /segment .* was not found/);
    });

    assert.deepEqual(await state(), before, "nothing changed");
  } finally {
    await app.close();
    await db.close();
  }
});
