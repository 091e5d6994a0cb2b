/**
 * Recovery at start: the files a crash left behind — finished but never listed, torn mid-fragment,
 * a bare header, moved but never indexed — are repaired and indexed or removed, and what was
 * indexed already is left alone. Segment files are made by real ffmpeg in the recorder's format.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "../../support/databases.ts";
import { probe, segmentsOf } from "../../support/recording.ts";
import { BatchWriter } from "../../../actors/store/writer.ts";
import { recoverSegments } from "../../../actors/recording/recovery.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { SEGMENTS } from "../../../models/store/segments.ts";
import { uuidv7 } from "../../../models/ids.ts";
import {
  incomingDir,
  recordingsRoot,
  segmentFile,
  segmentPath,
} from "../../../models/recording/paths.ts";
import { parseRecordingSettings } from "../../../models/recording/settings.ts";

/** Writes `seconds` of test pattern as a fragmented MP4 like the recorder's segments. */
async function makeSegment(path: string, seconds: number): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc=size=320x240:rate=25`],
      ...["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25"],
      ...["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", path],
    ],
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function withCamera(
  fn: (db: TestDatabase, camera: string, writer: BatchWriter<never>) => Promise<void>,
) {
  const db = await openTestDatabase("embedded");
  try {
    const camera = uuidv7();
    await insertCamera(db.sql, {
      id: camera,
      name: "c",
      sourceUrl: "rtsp://x/y",
      transport: "tcp",
    });
    const writer = await BatchWriter.open({
      sql: db.sql,
      spec: SEGMENTS,
      name: camera,
      dataDir: db.dataDir,
    });
    try {
      await fn(db, camera, writer as BatchWriter<never>);
    } finally {
      await writer.stop();
    }
  } finally {
    await db.close();
  }
}

Deno.test({
  name:
    "recovery indexes finished and torn segments, drops bare headers, and indexes moved files once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCamera(async (db, camera, writer) => {
      const incoming = incomingDir(db.dataDir, camera);
      const run = Date.now() - 60_000;
      const finished = join(incoming, `${run}-000000.mp4`);
      const torn = join(incoming, `${run}-000001.mp4`);
      const bare = join(incoming, `${run}-000002.mp4`);
      await makeSegment(finished, 4);
      await makeSegment(torn, 4);
      const tornSize = (await Deno.stat(torn)).size;
      await Deno.truncate(torn, Math.floor(tornSize * 0.6));
      await Deno.writeFile(bare, (await Deno.readFile(finished)).subarray(0, 28));
      // A file moved to its dated path whose row never reached the database, and one that did.
      const movedStart = run - 30_000;
      const moved = join(recordingsRoot(db.dataDir), segmentPath(camera, movedStart));
      await makeSegment(moved, 2);
      const knownStart = run - 40_000;
      const knownPath = segmentPath(camera, knownStart);
      await makeSegment(join(recordingsRoot(db.dataDir), knownPath), 2);
      await db
        .sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes, duration_ms)
                   values (${uuidv7(knownStart)}, ${camera}, ${knownPath}, ${new Date(knownStart)},
                           ${new Date(knownStart + 2000)}, 1, 2000)`;

      const result = await recoverSegments({
        sql: db.sql,
        dataDir: db.dataDir,
        cameraId: camera,
        writer,
        settings: null,
        now: Date.now() + 10_000,
      });
      assert.deepEqual(result, { indexed: 3, repaired: 1, removed: 1 });
      await writer.drained();
      const segments = await segmentsOf(db.sql, camera);
      assert.equal(segments.length, 4, "three recovered and the one already known");
      for (const segment of segments) {
        const probed = await probe(segmentFile(db.dataDir, segment.path));
        assert.ok(probed.durationS > 0);
      }
      const durations = segments.map((s) => s.durationMs).sort((a, b) => a - b);
      // Known and moved: 2 s each; finished: 4 s; torn at 60%: its complete 1 s fragments.
      assert.deepEqual(durations, [2000, 2000, 2000, 4000], "the torn segment kept 2 fragments");
      assert.equal(segments.find((s) => s.startMs === movedStart)?.durationMs, 2000);
      assert.deepEqual([...Deno.readDirSync(incoming)], [], "incoming/ is empty");

      const again = await recoverSegments({
        sql: db.sql,
        dataDir: db.dataDir,
        cameraId: camera,
        writer,
        settings: null,
        now: Date.now() + 10_000,
      });
      assert.deepEqual(
        again,
        { indexed: 0, repaired: 0, removed: 0 },
        "a second start finds nothing",
      );
    });
  },
});

Deno.test({
  name: "recovery in events mode keeps only the pre-roll an event needs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withCamera(async (db, camera, writer) => {
      const incoming = incomingDir(db.dataDir, camera);
      const run = Date.now() - 120_000;
      const old = join(incoming, `${run}-000000.mp4`);
      const near = join(incoming, `${run}-000001.mp4`);
      await makeSegment(old, 4);
      await makeSegment(near, 4);
      // Modification times say when each segment ended.
      const nearEnd = run + 60_000;
      await Deno.utime(old, new Date(run + 10_000), new Date(run + 10_000));
      await Deno.utime(near, new Date(nearEnd), new Date(nearEnd));
      // An event that opened 2 s after `near` ended and never closed (the crash).
      await db.sql`insert into events (id, camera_id, kind, label, started_at)
                   values (${uuidv7()}, ${camera}, 'object', 'person', ${new Date(
        nearEnd + 2000,
      )})`;
      const result = await recoverSegments({
        sql: db.sql,
        dataDir: db.dataDir,
        cameraId: camera,
        writer,
        settings: parseRecordingSettings({ mode: "events", preRollS: 5 }),
      });
      assert.deepEqual(result, { indexed: 1, repaired: 0, removed: 1 });
      await writer.drained();
      const segments = await segmentsOf(db.sql, camera);
      assert.equal(segments.length, 1);
      assert.equal(segments[0]!.endMs, nearEnd);
    });
  },
});
