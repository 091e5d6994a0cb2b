/**
 * Events mode end to end: vtest.avi (people walking) over a real RTSP stream, recorded in 4 s
 * segments while the real CenterNet analysis opens and closes person events. Nothing is analysed
 * during the first 24 s, so those segments must go; the events' segments, with their 5 s pre-roll
 * and post-roll, must stay, and the clip of an event starts at least 5 s before it opened.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { startRtspServer, waitFor } from "../../support/rtsp.ts";
import { probe, segmentsOf, sleep, waitCompiled, waitRecording } from "../../support/recording.ts";
import { incomingDir, recordFile } from "../../../models/recording/paths.ts";

const VTEST = new URL("../../../assets/media/vtest.avi", import.meta.url).pathname;

Deno.test({
  name: "events mode keeps an event's segments with their pre-roll and deletes the rest",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.stat(VTEST).catch(() => {
      throw new Error(`${VTEST} is missing: run scripts/setup.sh`);
    });
    const server = await startRtspServer({ source: VTEST, width: 768, height: 576, fps: 10 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { segmentSeconds: 4 });
    const opened: { id: string; at: number }[] = [];
    const unsubscribe = app.events.subscribe((m) => {
      if (m.action === "open" && m.event.kind === "object") {
        opened.push({ id: m.event.id, at: Date.now() });
      }
    });
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "hall", rtspUrl: server.url },
      });
      const id = (await created.json()).id;
      const put = await app.call("PUT", `/api/cameras/${id}/recording`, {
        body: { mode: "events", preRollS: 5, postRollS: 5, events: { labels: ["person"] } },
      });
      assert.equal(put.status, 200, await put.clone().text());
      await waitRecording(app, id);
      const recordingFrom = Date.now();
      await sleep(24_000);
      const quiet = app.fleet.recorderStats(id)!;
      assert.ok(quiet.discarded >= 1, `${quiet.discarded} segments without events deleted`);
      assert.equal((await segmentsOf(db.sql, id)).length, 0, "nothing indexed without an event");

      const attach = await app.call("PUT", `/api/cameras/${id}/analytics`, {
        body: { classes: ["person"] },
      });
      assert.equal(attach.status, 200, await attach.clone().text());
      await waitFor(() => opened.length > 0, 30_000, "a person event");
      await sleep(8_000);
      assert.equal((await app.call("DELETE", `/api/cameras/${id}/analytics`)).status, 204);
      // Past the post-roll, and one more segment after it.
      await sleep(10_000);
      assert.equal((await app.call("DELETE", `/api/cameras/${id}/recording`)).status, 204);
      // The detach closed every event; the closes reach the table through the batch writer,
      // which a loaded box may not have flushed yet.
      let open = -1;
      for (let i = 0; i < 150 && open !== 0; i++) {
        if (i > 0) await sleep(200);
        const [row] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from events where camera_id = ${id} and ended_at is null`;
        open = row!.n;
      }
      assert.equal(open, 0, "every event closed after the detach");

      const [event] = await db.sql<{ id: string; started_at: Date; ended_at: Date }[]>`
        select id, started_at, ended_at from events
        where camera_id = ${id} and kind = 'object' order by started_at limit 1`;
      assert.ok(event?.ended_at, "the first event closed when analytics was detached");
      const windows = await db.sql<{ started_at: Date; ended_at: Date }[]>`
        select started_at, ended_at from events where camera_id = ${id} and kind = 'object'`;
      const segments = await segmentsOf(db.sql, id);
      assert.ok(segments.length > 0, "the events' segments are indexed");
      const firstEvent = event.started_at.getTime();
      console.log(
        `recording from ${recordingFrom}, first event at +${firstEvent - recordingFrom} ms, ` +
          `${segments.length} segments kept from +${segments[0]!.startMs - recordingFrom} ms, ` +
          `${app.fleet.status(id).recorder?.discarded ?? quiet.discarded} discarded`,
      );
      assert.ok(segments[0]!.startMs <= firstEvent - 5_000, "the pre-roll is kept");
      for (const segment of segments) {
        const needed = windows.some((w) =>
          segment.endMs > w.started_at.getTime() - 5_000 &&
          segment.startMs < w.ended_at.getTime() + 5_000
        );
        assert.ok(needed, `segment at +${segment.startMs - recordingFrom} ms serves no event`);
      }
      assert.ok(
        segments[0]!.startMs > recordingFrom + 4_000,
        "the segments far before the first event are gone",
      );
      assert.deepEqual([...Deno.readDirSync(incomingDir(db.dataDir, id))], [], "no pre-roll left");

      const response = await app.call("POST", "/api/records", { body: { event: event.id } });
      assert.equal(response.status, 202, await response.clone().text());
      const job = await waitCompiled(app, (await response.json()).id);
      assert.equal(job.state, "done", String(job.error));
      assert.equal(Date.parse(job.from as string), firstEvent - 5_000);
      assert.deepEqual(job.gaps, [], "recording covers the event from its pre-roll on");
      const clip = await probe(recordFile(db.dataDir, job.id as string));
      const asked = (Date.parse(job.to as string) - Date.parse(job.from as string)) / 1000;
      console.log(`event clip ${clip.durationS} s for ${asked} s asked`);
      // Cut on the keyframe at or before the pre-roll's start: never later.
      assert.ok(clip.durationS >= asked - 0.1, `${clip.durationS} s for ${asked} s`);
    } finally {
      unsubscribe();
      await app.close();
      await db.close();
      await server.stop();
    }
  },
});
