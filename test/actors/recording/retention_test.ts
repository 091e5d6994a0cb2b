/**
 * Retention of real recordings: under a tiny quota the oldest segments go first, while the
 * segments of a kept event and of a running compile stay; `retainDays` ages a camera's segments
 * out; old clips go with their files.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { startRtspServer } from "../../support/rtsp.ts";
import { segmentsOf, sleep, waitRecording } from "../../support/recording.ts";
import { applyRecordingsRetention } from "../../../actors/recording/retention.ts";
import { recordFile, segmentFile } from "../../../models/recording/paths.ts";
import { uuidv7 } from "../../../models/ids.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test({
  name:
    "a tiny quota deletes the oldest segments first and spares kept events and running compiles",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startRtspServer();
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { segmentSeconds: 2 });
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "lot", rtspUrl: server.url },
      });
      const id = (await created.json()).id;
      await app.call("PUT", `/api/cameras/${id}/recording`, {
        body: { mode: "continuous", preRollS: 0, postRollS: 0 },
      });
      await waitRecording(app, id);
      await sleep(25_000);
      assert.equal((await app.call("DELETE", `/api/cameras/${id}/recording`)).status, 204);
      const all = await segmentsOf(db.sql, id);
      assert.ok(all.length >= 10, `${all.length} segments`);

      // A kept event over the 2nd segment, and a compile running over the 4th.
      const kept = all[1]!;
      const compiling = all[3]!;
      const eventId = uuidv7();
      await db.sql`insert into events (id, camera_id, kind, label, started_at, ended_at)
                   values (${eventId}, ${id}, 'object', 'person', ${new Date(kept.startMs + 200)},
                           ${new Date(kept.endMs - 200)})`;
      const keep = await app.call("PUT", `/api/events/${eventId}/keep`, { body: { keep: true } });
      assert.equal(keep.status, 200);
      assert.deepEqual(await keep.json(), { id: eventId, camera: id, keep: true });
      await db.sql`insert into records (id, camera_id, from_ts, to_ts, status)
                   values (${uuidv7()}, ${id}, ${new Date(compiling.startMs + 200)},
                           ${new Date(compiling.endMs - 200)}, 'running')`;

      // Room for about a third of what was recorded.
      const total = all.reduce((sum, s) => sum + s.bytes, 0);
      const quota = Math.floor(total / 3);
      const result = await applyRecordingsRetention({
        sql: db.sql,
        dataDir: db.dataDir,
        maxSize: quota,
      });
      const left = await segmentsOf(db.sql, id);
      const leftBytes = left.reduce((sum, s) => sum + s.bytes, 0);
      console.log(
        `${all.length} segments (${total} B), quota ${quota} B: ${result.guarded} deleted, ` +
          `${left.length} left (${leftBytes} B)`,
      );
      assert.ok(leftBytes <= quota, `${leftBytes} B left over a ${quota} B quota`);
      assert.ok(result.guarded > 0 && !result.short);
      const paths = new Set(left.map((s) => s.path));
      assert.ok(paths.has(kept.path), "the kept event's segment stays");
      assert.ok(paths.has(compiling.path), "the running compile's segment stays");
      assert.ok(paths.has(all.at(-1)!.path), "the newest segment stays");
      // Oldest first: every deleted segment is older than every unprotected one left.
      const deleted = all.filter((s) => !paths.has(s.path));
      const oldestLeft = left.find((s) => s.path !== kept.path && s.path !== compiling.path)!;
      assert.ok(deleted.every((s) => s.startMs < oldestLeft.startMs), "the oldest went first");
      for (const s of deleted) assert.equal(await exists(segmentFile(db.dataDir, s.path)), false);
      for (const s of left) assert.ok(await exists(segmentFile(db.dataDir, s.path)));

      // The quota cannot be met once only protected segments are left: the guard says so.
      const tight = await applyRecordingsRetention({
        sql: db.sql,
        dataDir: db.dataDir,
        maxSize: 1,
      });
      assert.equal(tight.short, true);
      const protectedLeft = (await segmentsOf(db.sql, id)).map((s) => s.path).sort();
      assert.deepEqual(protectedLeft, [kept.path, compiling.path].sort());

      // retainDays: a week later everything unprotected has expired, and old clips go.
      await db.sql`update events set keep = false`;
      await db.sql`update records set status = 'done', finished_at = now() - interval '40 days'`;
      const [clip] = await db.sql<{ id: string }[]>`select id from records`;
      await Deno.mkdir(`${db.dataDir}/records`, { recursive: true });
      await Deno.writeTextFile(recordFile(db.dataDir, clip!.id), "clip");
      const later = await applyRecordingsRetention(
        { sql: db.sql, dataDir: db.dataDir },
        Date.now() + 8 * 86_400_000,
      );
      assert.equal(later.expired, 2);
      assert.equal(later.records, 1);
      assert.deepEqual(await segmentsOf(db.sql, id), []);
      assert.equal(await exists(recordFile(db.dataDir, clip!.id)), false);
    } finally {
      await app.close();
      await db.close();
      await server.stop();
    }
  },
});
