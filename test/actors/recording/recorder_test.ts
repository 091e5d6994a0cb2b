/**
 * Recording end to end with real ffmpeg over a real RTSP stream (GStreamer test pattern, 25 fps,
 * a keyframe every second), driven through the HTTP routes into a real PostgreSQL: half a minute
 * of continuous recording in 5 s segments (through the stream hub, sharing the camera's one
 * session with capture),
 * clips of it (plain and annotated), ranges and tamper checks, and an outage of the camera.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { startRtspServer } from "../../support/rtsp.ts";
import {
  decodeFrames,
  probe,
  segmentsOf,
  sleep,
  waitCompiled,
  waitRecording,
} from "../../support/recording.ts";
import { recordFile, segmentFile } from "../../../models/recording/paths.ts";
import { colorOf } from "../../../models/recording/annotations.ts";
import { uuidv7 } from "../../../models/ids.ts";

/** The simulator sends a keyframe every second: a stream-copy cut may start up to this early. */
const KEYFRAME_INTERVAL_S = 1;
/** Short segments: six boundaries in half a minute prove what ten-second ones did in a minute. */
const SEGMENT_S = 5;
/** How long the continuous recording runs before it is checked. */
const RECORD_MS = 30_000;

async function addCamera(app: TestApp, rtspUrl: string): Promise<string> {
  const response = await app.call("POST", "/api/cameras", { body: { name: "yard", rtspUrl } });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

async function compile(app: TestApp, body: unknown): Promise<Record<string, unknown>> {
  const response = await app.call("POST", "/api/records", { body });
  assert.equal(response.status, 202, await response.clone().text());
  const job = await response.json();
  assert.equal(response.headers.get("location"), `/api/records/${job.id}`);
  const done = await waitCompiled(app, job.id);
  assert.equal(done.state, "done", `compile failed: ${done.error}`);
  return done;
}

/** The rgb24 pixels of a `width`-pixel row from (x, y) of the frame at `atS` of a file. */
async function pixels(
  path: string,
  atS: number,
  x: number,
  y: number,
  width: number,
): Promise<number[][]> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-ss", String(atS), "-i", path, "-frames:v", "1"],
      ...["-vf", `format=rgb24,crop=${width}:1:${x}:${y}`, "-f", "rawvideo", "pipe:1"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return Array.from({ length: width }, (_, i) => [...out.stdout.subarray(i * 3, i * 3 + 3)]);
}

Deno.test({
  name: "half a minute of continuous recording is gapless and playable; clips of it are exact, " +
    "ranged and tamper-evident; an outage of the camera is a gap and recording resumes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await startRtspServer();
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { segmentSeconds: SEGMENT_S });
    try {
      const id = await addCamera(app, server.url);
      const put = await app.call("PUT", `/api/cameras/${id}/recording`, {
        body: { mode: "continuous" },
      });
      assert.equal(put.status, 200, await put.clone().text());
      assert.equal((await put.json()).settings.retainDays, 7, "defaults are filled");
      await waitRecording(app, id);
      // Analysis capture too: both read the camera through the stream hub.
      const capture = await app.call("POST", `/api/cameras/${id}/capture`, {
        body: { action: "start" },
      });
      assert.equal(capture.status, 200);
      await sleep(RECORD_MS + 1000);
      const camera = await (await app.call("GET", `/api/cameras/${id}`)).json();
      const consumers = camera.state.hub.flatMap((p: { consumers: string[] }) => p.consumers);
      assert.ok(consumers.includes("recorder") && consumers.includes("capture"), consumers);
      assert.equal(server.clientsConnected, 1, "recording costs the camera no extra session");
      const live = await (await app.call("GET", `/api/cameras/${id}/recording`)).json();
      assert.equal(live.state, "recording");
      assert.equal(live.live.recorder, "recording");
      assert.ok(live.live.currentSegment.bytes > 0, "the open segment's size is shown");
      assert.ok(live.today.segments >= 5, `${live.today.segments} segments today`);
      const stoppedAt = Date.now();
      const stop = await app.call("DELETE", `/api/cameras/${id}/recording`);
      assert.equal(stop.status, 204);
      assert.equal(app.fleet.status(id).recording, "idle", "the open segment was finished first");
      const segments = await segmentsOf(db.sql, id);

      await t.step("segments add up to the wall time, are contiguous and each plays", async () => {
        const first = segments[0]!;
        const last = segments.at(-1)!;
        const total = segments.reduce((sum, s) => sum + s.durationMs, 0);
        console.log(
          `${segments.length} segments, ${total} ms recorded, first ${first.startMs}, ` +
            `stop asked ${stoppedAt - last.endMs} ms after the last segment's end`,
        );
        assert.ok(total >= RECORD_MS, `${total} ms recorded`);
        const wall = stoppedAt - first.startMs;
        assert.ok(Math.abs(total - wall) <= 1000, `${total} ms of segments for ${wall} ms of wall`);
        for (let i = 1; i < segments.length; i++) {
          const gap = segments[i]!.startMs - segments[i - 1]!.endMs;
          assert.ok(Math.abs(gap) <= 500, `gap of ${gap} ms before segment ${i}`);
        }
        for (const segment of segments) {
          const file = segmentFile(db.dataDir, segment.path);
          const probed = await probe(file);
          assert.equal(probed.codec, "h264");
          assert.equal(probed.width, 640);
          assert.ok(Math.abs(probed.durationS * 1000 - segment.durationMs) <= 50);
          assert.equal((await Deno.stat(file)).size, segment.bytes);
        }
        // The middle segment decodes from its first frame to its last without an error.
        const middle = segmentFile(db.dataDir, segments[Math.floor(segments.length / 2)]!.path);
        assert.ok((await decodeFrames(middle)) >= 100, "a 5 s segment holds ~125 frames");
      });

      await t.step("the timeline shows one interval", async () => {
        const from = new Date(segments[0]!.startMs).toISOString();
        const to = new Date(segments.at(-1)!.endMs).toISOString();
        const response = await app.call(
          "GET",
          `/api/cameras/${id}/recordings?from=${from}&to=${to}`,
          { token: app.tokens.viewer },
        );
        assert.equal(response.status, 200);
        const timeline = await response.json();
        assert.deepEqual(timeline.intervals, [{ from, to }]);
        assert.deepEqual(timeline.gaps, []);
        assert.equal(timeline.segments, segments.length);
      });

      const mid = (segments[0]!.startMs + segments.at(-1)!.endMs) / 2;
      const from = new Date(mid - 10_000).toISOString();
      const to = new Date(mid + 10_000).toISOString();
      const clip = await compile(app, { camera: id, from, to });

      await t.step("a 20 s clip from the middle is 20 s ± a keyframe interval", async () => {
        assert.equal(clip.bytes, (await Deno.stat(recordFile(db.dataDir, clip.id as string))).size);
        const probed = await probe(recordFile(db.dataDir, clip.id as string));
        console.log(`clip of 20 s: ${probed.durationS} s, reported ${clip.durationS} s`);
        assert.ok(
          probed.durationS >= 20 - 0.05 && probed.durationS <= 20 + KEYFRAME_INTERVAL_S + 0.1,
          `${probed.durationS} s`,
        );
        assert.deepEqual(clip.gaps, []);
        assert.ok((await decodeFrames(recordFile(db.dataDir, clip.id as string))) >= 490);
      });

      await t.step("the file is served with its SHA-256 as ETag and exact ranges", async () => {
        const full = await app.call("GET", `/api/records/${clip.id}/file`, {
          token: app.tokens.media,
        });
        assert.equal(full.status, 200);
        assert.equal(full.headers.get("content-type"), "video/mp4");
        assert.equal(full.headers.get("accept-ranges"), "bytes");
        const bytes = new Uint8Array(await full.arrayBuffer());
        const sha = createHash("sha256").update(bytes).digest("hex");
        assert.equal(sha, clip.sha256, "the reported SHA-256 is the file's");
        assert.equal(full.headers.get("etag"), `"${sha}"`);

        const range = await app.app.request(`/api/records/${clip.id}/file`, {
          headers: { authorization: `Bearer ${app.tokens.viewer}`, range: "bytes=1000-4999" },
        });
        assert.equal(range.status, 206);
        assert.equal(range.headers.get("content-range"), `bytes 1000-4999/${bytes.length}`);
        assert.equal(range.headers.get("content-length"), "4000");
        assert.deepEqual(new Uint8Array(await range.arrayBuffer()), bytes.subarray(1000, 5000));

        const tail = await app.app.request(`/api/records/${clip.id}/file`, {
          headers: { authorization: `Bearer ${app.tokens.viewer}`, range: "bytes=-100" },
        });
        assert.equal(tail.status, 206);
        assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), bytes.subarray(-100));

        const past = await app.app.request(`/api/records/${clip.id}/file`, {
          headers: {
            authorization: `Bearer ${app.tokens.viewer}`,
            range: `bytes=${bytes.length}-`,
          },
        });
        assert.equal(past.status, 416);
        assert.equal(past.headers.get("content-range"), `bytes */${bytes.length}`);
        await past.body?.cancel();

        const cached = await app.app.request(`/api/records/${clip.id}/file`, {
          headers: { authorization: `Bearer ${app.tokens.viewer}`, "if-none-match": `"${sha}"` },
        });
        assert.equal(cached.status, 304);
      });

      await t.step("verify matches until one byte of the file is flipped", async () => {
        const ok = await (await app.call("GET", `/api/records/${clip.id}/verify`)).json();
        assert.deepEqual(ok, { sha256: clip.sha256, stored: clip.sha256, matches: true });
        const path = recordFile(db.dataDir, clip.id as string);
        using file = await Deno.open(path, { read: true, write: true });
        const at = Math.floor(clip.bytes as number / 2);
        const one = new Uint8Array(1);
        await file.seek(at, Deno.SeekMode.Start);
        await file.read(one);
        one[0] = one[0]! ^ 0xff;
        await file.seek(at, Deno.SeekMode.Start);
        await file.write(one);
        const bad = await (await app.call("GET", `/api/records/${clip.id}/verify`)).json();
        assert.equal(bad.matches, false);
        assert.notEqual(bad.sha256, clip.sha256);
        assert.equal(bad.stored, clip.sha256);
      });

      await t.step("an annotated clip burns in the stored boxes and is cut exactly", async () => {
        const at = mid - 5_000;
        // Detections of one track over the clip, as the analysis would have stored them.
        const track = crypto.randomUUID();
        for (let ts = mid - 10_000; ts < mid + 10_000; ts += 200) {
          await db.sql`insert into detections (id, camera_id, ts, frame, track_id, label, score,
                                               x1, y1, x2, y2)
                       values (${uuidv7(ts)}, ${id}, ${new Date(ts)}, 0, ${track}, 'person', 0.9,
                               0.25, 0.25, 0.75, 0.75)`;
        }
        const annotated = await compile(app, {
          camera: id,
          from: new Date(at).toISOString(),
          to: new Date(at + 10_000).toISOString(),
          annotated: true,
        });
        const path = recordFile(db.dataDir, annotated.id as string);
        const probed = await probe(path);
        assert.ok(Math.abs(probed.durationS - 10) <= 0.15, `${probed.durationS} s`);
        // The box's left edge (x = 0.25 of 640) in the label's colour, on the test pattern.
        const bgr = colorOf("person");
        const expected = [bgr.slice(4, 6), bgr.slice(2, 4), bgr.slice(0, 2)].map((h) =>
          parseInt(h, 16)
        );
        // libass strokes the outline around x = 160: look a few pixels either side.
        const row = await pixels(path, 5, 150, 180, 20);
        const distance = (p: number[]) =>
          p.reduce((sum, v, i) => sum + Math.abs(v - expected[i]!), 0);
        const nearest = Math.min(...row.map(distance));
        assert.ok(nearest < 90, `no pixel of ${JSON.stringify(row)} is near ${expected}`);
        // Before the clip's detections begin nothing is drawn there.
        const plain = await pixels(segmentFile(db.dataDir, segments[0]!.path), 2, 150, 180, 20);
        assert.ok(Math.min(...plain.map(distance)) >= 90, "the source has no such line");
      });

      await t.step(
        "the camera's outage is a gap of its length, and recording resumes",
        async () => {
          const again = await app.call("PUT", `/api/cameras/${id}/recording`, {
            body: { mode: "continuous" },
          });
          assert.equal(again.status, 200);
          await waitRecording(app, id);
          await sleep(5_000);
          const downAt = Date.now();
          await server.stop();
          await sleep(10_000);
          await server.start();
          const upAt = Date.now();
          const before = (await segmentsOf(db.sql, id)).length;
          // The first segment after the outage is indexed once the next one starts (5 s).
          const deadline = Date.now() + 30_000;
          let after: Awaited<ReturnType<typeof segmentsOf>> = [];
          while (Date.now() < deadline) {
            after = (await segmentsOf(db.sql, id)).filter((s) => s.startMs > upAt - 2_000);
            if (after.length > 0) break;
            await sleep(500);
          }
          assert.ok(after.length > 0, `recording resumed (${before} segments before)`);
          const stats = app.fleet.recorderStats(id)!;
          assert.ok(stats.reconnects >= 1, "the recorder reconnected by itself");
          const response = await app.call(
            "GET",
            `/api/cameras/${id}/recordings?from=${new Date(downAt - 4_000).toISOString()}&to=${
              new Date(after[0]!.endMs).toISOString()
            }`,
          );
          const timeline = await response.json();
          assert.equal(timeline.gaps.length, 1, JSON.stringify(timeline));
          const gap = timeline.gaps[0];
          const length = Date.parse(gap.to) - Date.parse(gap.from);
          console.log(`outage of ${upAt - downAt} ms → gap of ${length} ms`);
          assert.ok(length >= 9_000 && length <= 13_500, `gap of ${length} ms`);
          assert.equal((await app.call("DELETE", `/api/cameras/${id}/recording`)).status, 204);
        },
      );
    } finally {
      await app.close();
      await db.close();
      await server.stop();
    }
  },
});
