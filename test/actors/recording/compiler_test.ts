/**
 * The compile queue over real segment files (made by ffmpeg in the recorder's format): jobs left
 * running or queued by a stopped server resume at the next start, one at a time, oldest first; a
 * hole in the recording is skipped and reported; a job whose range lost its segments fails with
 * a reason.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { probe, waitCompiled } from "../../support/recording.ts";
import { insertCamera } from "../../../models/store/cameras.ts";
import { uuidv7 } from "../../../models/ids.ts";
import { recordFile, recordingsRoot, segmentPath } from "../../../models/recording/paths.ts";

async function makeSegment(path: string, seconds: number): Promise<number> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"],
      ...["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25"],
      ...["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", path],
    ],
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return (await Deno.stat(path)).size;
}

Deno.test({
  name: "compile jobs interrupted by a restart resume one at a time, oldest first, gaps reported",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    try {
      const camera = uuidv7();
      await insertCamera(db.sql, {
        id: camera,
        name: "c",
        sourceUrl: "rtsp://127.0.0.1:1/x",
        transport: "tcp",
      });
      // 0–4 s and 4–8 s recorded, 8–12 s missing, 12–16 s recorded.
      const t0 = Date.parse("2026-11-25T14:00:00Z");
      for (const offset of [0, 4_000, 12_000]) {
        const path = segmentPath(camera, t0 + offset);
        const bytes = await makeSegment(join(recordingsRoot(db.dataDir), path), 4);
        await db.sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes,
                                           duration_ms, codec, width, height)
                     values (${uuidv7(t0 + offset)}, ${camera}, ${path}, ${new Date(t0 + offset)},
                             ${new Date(t0 + offset + 4_000)}, ${bytes}, 4000, 'h264', 320, 240)`;
      }
      // As a stopped server left them: one running, one queued after it, one over lost video.
      const running = uuidv7(Date.now() - 3000);
      const queued = uuidv7(Date.now() - 2000);
      const lost = uuidv7(Date.now() - 1000);
      await db.sql`insert into records (id, camera_id, from_ts, to_ts, status, created_at)
                   values (${running}, ${camera}, ${new Date(t0 + 1_000)}, ${new Date(t0 + 15_000)},
                           'running', now() - interval '3 seconds'),
                          (${queued}, ${camera}, ${new Date(t0)}, ${new Date(t0 + 8_000)},
                           'queued', now() - interval '2 seconds'),
                          (${lost}, ${camera}, ${new Date(t0 + 20_000)}, ${new Date(t0 + 30_000)},
                           'queued', now() - interval '1 second')`;

      const app = await startTestApp(db);
      try {
        let most = 0;
        const watch = setInterval(() => most = Math.max(most, app.compiler.running().length), 5);
        const first = await waitCompiled(app, running);
        const second = await waitCompiled(app, queued);
        const third = await waitCompiled(app, lost);
        clearInterval(watch);
        assert.equal(most, 1, "one job at a time");
        assert.equal(first.state, "done", String(first.error));
        assert.equal(second.state, "done", String(second.error));
        assert.ok(
          Date.parse(first.finishedAt as string) <= Date.parse(second.finishedAt as string),
        );
        assert.deepEqual(first.gaps, [{
          from: new Date(t0 + 8_000).toISOString(),
          to: new Date(t0 + 12_000).toISOString(),
        }]);
        const clip = await probe(recordFile(db.dataDir, running));
        // 1–8 s and 12–15 s: 10 s, starting up to a keyframe (1 s) early.
        assert.ok(clip.durationS >= 9.95 && clip.durationS <= 11.1, `${clip.durationS} s`);
        const bytes = await Deno.readFile(recordFile(db.dataDir, queued));
        assert.equal(createHash("sha256").update(bytes).digest("hex"), second.sha256);
        assert.equal(third.state, "failed");
        assert.match(String(third.error), /no recording in the range/);
        assert.deepEqual([...Deno.readDirSync(join(db.dataDir, "records", "tmp"))], []);
      } finally {
        await app.close();
      }
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "deleting a camera cancels its running compile",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    try {
      const camera = uuidv7();
      await insertCamera(db.sql, {
        id: camera,
        name: "c",
        sourceUrl: "rtsp://127.0.0.1:1/x",
        transport: "tcp",
      });
      const t0 = Date.parse("2026-11-25T14:00:00Z");
      const path = segmentPath(camera, t0);
      const bytes = await makeSegment(join(recordingsRoot(db.dataDir), path), 60);
      await db.sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes,
                                         duration_ms, codec, width, height)
                   values (${uuidv7(t0)}, ${camera}, ${path}, ${new Date(t0)},
                           ${new Date(t0 + 60_000)}, ${bytes}, 60000, 'h264', 320, 240)`;
      const app = await startTestApp(db);
      try {
        // Annotated: the picture is encoded again, so the job runs for a while.
        const job = await app.call("POST", "/api/records", {
          body: {
            camera,
            from: new Date(t0).toISOString(),
            to: new Date(t0 + 60_000).toISOString(),
            annotated: true,
          },
        });
        const { id } = await job.json();
        assert.equal(job.status, 202, JSON.stringify(id));
        const started = Date.now();
        while (!app.compiler.running().includes(id) && Date.now() - started < 20_000) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.deepEqual(app.compiler.running(), [id], "the compile runs");
        assert.equal((await app.call("DELETE", `/api/cameras/${camera}`)).status, 204);
        assert.deepEqual(app.compiler.running(), [], "no compile of the deleted camera runs");
        assert.deepEqual(
          [...Deno.readDirSync(join(db.dataDir, "records", "tmp"))],
          [],
          "its work files are gone",
        );
      } finally {
        await app.close();
      }
    } finally {
      await db.close();
    }
  },
});
