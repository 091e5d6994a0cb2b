/**
 * Issue 17, robustness: the data dir must not grow without bound. Event snapshots go with their
 * events, a camera's spill files are capped (the oldest rows dropped, counted and logged), and
 * files of cameras that no longer exist are deleted.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { DETECTIONS, newDetection } from "../../../models/store/detections.ts";
import { applyRetention } from "../../../models/store/retention.ts";
import { BatchWriter } from "../../../actors/store/writer.ts";
import { configureLogging } from "../../../models/log.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { CLOSED_PORT } from "../../support/ports.ts";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function jpeg(path: string, mtime?: Date): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]));
  if (mtime) await Deno.utime(path, mtime, mtime);
}

Deno.test({
  name: "expired events take their snapshots with them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    try {
      const now = new Date("2030-06-15T12:00:00Z");
      const camera = crypto.randomUUID();
      await db.sql`insert into cameras (id, name, source_url) values (${camera}, 'c', 'rtsp://x')`;
      const [oldEvent, keptEvent, lostEvent] = [uuidv7(), uuidv7(), uuidv7()];
      await db.sql`insert into events (id, camera_id, kind, started_at, snapshot_path) values
        (${oldEvent}, ${camera}, 'object', '2030-05-15T11:00:00Z', ${`${oldEvent}.jpg`}),
        (${keptEvent}, ${camera}, 'object', '2030-05-17T11:00:00Z', ${`${keptEvent}.jpg`})`;
      const dir = `${db.dataDir}/snapshots/${camera}`;
      await jpeg(`${dir}/${oldEvent}.jpg`);
      await jpeg(`${dir}/${keptEvent}.jpg`);
      // A snapshot whose event row is gone (deleted by a run that crashed before removing the
      // file), older than the event retention: it is swept too. A fresh one without a row may
      // belong to an event still waiting in a writer: it stays.
      await jpeg(`${dir}/${lostEvent}.jpg`, new Date("2030-05-01T00:00:00Z"));
      await jpeg(`${dir}/${uuidv7()}.jpg`, now);

      const result = await applyRetention(db.sql, { now, dataDir: db.dataDir });
      assert.equal(result.eventsDeleted, 1);
      assert.equal(await exists(`${dir}/${oldEvent}.jpg`), false, "the expired event's snapshot");
      assert.equal(await exists(`${dir}/${lostEvent}.jpg`), false, "an old orphaned snapshot");
      assert.equal(await exists(`${dir}/${keptEvent}.jpg`), true, "a kept event's snapshot");
      assert.equal((await Array.fromAsync(Deno.readDir(dir))).length, 2);
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "a camera's spill file is capped: the oldest rows are dropped, counted and logged",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const lines: string[] = [];
    configureLogging("info", (line) => lines.push(line));
    // A database that is down: nothing listens on this port.
    const down = postgres({ host: "127.0.0.1", port: CLOSED_PORT, max: 1 });
    try {
      const camera = crypto.randomUUID();
      await db.sql`insert into cameras (id, name, source_url) values (${camera}, 'c', 'rtsp://x')`;
      const maxSpillBytes = 64 * 1024;
      const writer = await BatchWriter.open({
        sql: down,
        spec: DETECTIONS,
        name: camera,
        dataDir: db.dataDir,
        maxBufferedRows: 100,
        spillAfterMs: 1,
        retryBaseMs: 10,
        retryMaxMs: 10,
        maxSpillBytes,
      });
      const pushed = 3000;
      for (let frame = 0; frame < pushed; frame++) {
        writer.push(newDetection({
          cameraId: camera,
          ts: Date.now(),
          frame,
          trackId: null,
          label: "person",
          score: 0.5,
          box: [0.1, 0.2, 0.3, 0.4],
        }));
        // Let each batch reach the disk: memory past its hard limit drops pushes (also counted,
        // but not the oldest-first loss this test is about).
        while (frame % 100 === 99 && writer.stats().buffered > 0) {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      await writer.stop();
      const path = `${db.dataDir}/spill/detections/${camera}.jsonl`;
      const { size } = await Deno.stat(path);
      const stats = writer.stats();
      // The cap may be passed by one append (at most maxBufferedRows rows) before the trim.
      assert.ok(size <= maxSpillBytes, `spill file of ${size} bytes`);
      assert.ok(stats.dropped > 0, "rows were dropped");
      assert.equal(stats.spilled + stats.dropped, pushed, "every row is spilled or counted");
      assert.ok(
        lines.some((l) => l.includes("spill file full") && l.includes('"dropped"')),
        "the loss is logged with its count",
      );

      // The database is back: the newest rows arrive, the oldest were the ones dropped.
      const replay = await BatchWriter.open({
        sql: db.sql,
        spec: DETECTIONS,
        name: camera,
        dataDir: db.dataDir,
      });
      await replay.drained();
      await replay.stop();
      const frames = await db.sql<{ frame: string }[]>`
        select frame from detections where camera_id = ${camera} order by frame`;
      assert.equal(frames.length, stats.spilled);
      assert.equal(Number(frames.at(-1)!.frame), pushed - 1, "the newest row is kept");
      assert.equal(Number(frames[0]!.frame), pushed - frames.length, "the oldest were dropped");
    } finally {
      configureLogging("info", (line) => console.error(line));
      await down.end({ timeout: 1 });
      await db.close();
    }
  },
});

Deno.test({
  name: "files of deleted cameras are removed: at delete, and orphans at start",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    let app = await startTestApp(db);
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:9/s" },
      });
      const { id } = await created.json();
      const kept = await (await app.call("POST", "/api/cameras", {
        body: { name: "kept", rtspUrl: "rtsp://127.0.0.1:9/t" },
      })).json();
      // What a camera leaves on disk: spill files of both writers and event snapshots.
      const files = (camera: string) => [
        `${db.dataDir}/spill/detections/${camera}.jsonl`,
        `${db.dataDir}/spill/events/${camera}.jsonl`,
        `${db.dataDir}/snapshots/${camera}/${uuidv7()}.jpg`,
      ];
      // The same paths are written and then checked (each call names a new snapshot).
      const deleted = files(id);
      for (const path of deleted) await jpeg(path);
      assert.equal((await app.call("DELETE", `/api/cameras/${id}`)).status, 204);
      for (let i = 0; i < 300 && (await Promise.all(deleted.map(exists))).some(Boolean); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const path of [...deleted, `${db.dataDir}/snapshots/${id}`]) {
        assert.equal(await exists(path), false, `${path} removed with the camera`);
      }

      // Files of a camera deleted while the server was down (or by another box) are orphans.
      await app.close();
      const ghost = crypto.randomUUID();
      const orphans = files(ghost);
      for (const path of orphans) await jpeg(path);
      const keptSnapshot = `${db.dataDir}/snapshots/${kept.id}/${uuidv7()}.jpg`;
      await jpeg(keptSnapshot);
      app = await startTestApp(db);
      for (const path of orphans) assert.equal(await exists(path), false, `${path} orphan`);
      assert.equal(await exists(`${db.dataDir}/snapshots/${ghost}`), false);
      assert.equal(await exists(keptSnapshot), true, "a live camera's files stay");
    } finally {
      await app.close();
      await db.close();
    }
  },
});
