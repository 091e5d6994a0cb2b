/**
 * Analysis decodes the camera's sub-stream (issue 23): an adopted ONVIF camera's analysis reads
 * its analysis profile while the relay keeps the main one; a configured `analysisUrl` is what
 * analysis reads, a bad one changes nothing; and boxes found on the sub-stream land where the
 * main stream's own analysis puts them. Two real RTSP servers play "main" and "sub"; each counts
 * its sessions, so "nobody decoded the main stream" is a number, not a guess.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "../../support/databases.ts";
import { startTestApp } from "../../support/app.ts";
import { startRtspServer, waitFor } from "../../support/rtsp.ts";
import { probeStream } from "../../support/relay.ts";
import { CAMERA_CREDENTIALS, withSimulatedCamera } from "../../support/onvif.ts";

const MEDIA = new URL("../../../assets/media/", import.meta.url).pathname;

Deno.test({
  name:
    "an adopted ONVIF camera's analysis decodes its sub-stream; the relay keeps the main stream",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const main = await startRtspServer({ width: 1280, height: 720, fps: 10 });
    const sub = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { onvifTimeoutMs: 5000 });
    try {
      await withSimulatedCamera({ rtspUrl: main.url, subRtspUrl: sub.url }, async (camera) => {
        const response = await app.call("POST", "/api/cameras", {
          body: {
            name: "gate",
            onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
          },
        });
        assert.equal(response.status, 201);
        const created = await response.json();
        const id: string = created.id;
        assert.equal(created.rtspUrl, main.url, "the camera's source is its main profile");
        assert.deepEqual(created.analysis, {
          from: "onvifProfile",
          url: sub.url,
          path: `/cam/${id}/sub`,
          profile: { token: "sub", width: 640, height: 360 },
        });

        await app.call("POST", `/api/cameras/${id}/capture`, { body: { action: "start" } });
        await waitFor(() => app.fleet.status(id).stream === "live", 45_000, "capture live");
        await waitFor(() => (app.fleet.status(id).fps ?? 0) > 0, 20_000, "frames");
        assert.equal(sub.clientsConnected, 1, "the sub-stream is pulled once");
        assert.equal(main.clientsConnected, 0, "nobody pulled the main stream for analysis");
        const hub = (await (await app.call("GET", `/api/cameras/${id}`)).json()).state.hub;
        const byPath = new Map(hub.map((p: { path: string }) => [p.path, p]));
        const subPath = byPath.get(`/cam/${id}/sub`) as { consumers: string[] } | undefined;
        const mainPath = byPath.get(`/cam/${id}`) as { consumers: string[] } | undefined;
        assert.ok(subPath?.consumers.includes("capture"), JSON.stringify(hub));
        assert.ok(!mainPath?.consumers.includes("capture"), JSON.stringify(hub));

        const relay = app.relay.server.url(`/cam/${id}`)
          .replace("rtsp://", `rtsp://viewer:${app.tokens.viewer}@`);
        const probed = await probeStream(relay);
        assert.equal(typeof probed, "object", String(probed));
        assert.deepEqual(
          [(probed as { width: number }).width, (probed as { height: number }).height],
          [1280, 720],
          "the relay's /cam/<id> is the main stream",
        );
        assert.equal(main.clientsConnected, 1);
      });
    } finally {
      await app.close();
      await db.close();
      await main.stop();
      await sub.stop();
    }
  },
});

Deno.test({
  name:
    "a configured analysisUrl is analysed, a bad one changes nothing, and its boxes land where the main stream's own analysis puts them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-substream-" });
    const clip = await stillClip(join(MEDIA, "messi5.jpg"), dir);
    const main = await startRtspServer({ source: clip, width: 1280, height: 720, fps: 10 });
    const sub = await startRtspServer({ source: clip, width: 640, height: 360, fps: 10 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db);
    try {
      const response = await app.call("POST", "/api/cameras", {
        body: { name: "pitch", rtspUrl: main.url, analysisUrl: sub.url },
      });
      assert.equal(response.status, 201);
      const created = await response.json();
      const id: string = created.id;
      assert.equal(created.analysisUrl, sub.url);
      assert.deepEqual(created.analysis, {
        from: "analysisUrl",
        url: sub.url,
        path: `/cam/${id}/sub`,
        profile: null,
      });

      for (const bad of ["rtsp://admin:pw@127.0.0.1:1/sub", "file:///etc/passwd", "-i x"]) {
        const patch = await app.call("PATCH", `/api/cameras/${id}`, { body: { analysisUrl: bad } });
        assert.equal(patch.status, 422, bad);
        assert.match((await patch.json()).error.message, /analysisUrl/);
      }
      const kept = await (await app.call("GET", `/api/cameras/${id}`)).json();
      assert.equal(kept.analysisUrl, sub.url, "a refused change changes nothing");

      const put = await app.call("PUT", `/api/cameras/${id}/analytics`, {
        // Whole frames: with motion crops the best person of a frame is the best one inside the
        // crops (the stream switch itself is motion), not the same person on both streams.
        body: { classes: ["person"], rules: { motionCrops: false } },
      });
      assert.equal(put.status, 200);
      const onSub = await personBox(db, id, 0);
      assert.ok(sub.clientsConnected >= 1, "analysis reads the sub-stream");
      assert.equal(main.clientsConnected, 0, "nobody pulled the main stream for analysis");

      const cleared = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { analysisUrl: null },
      });
      assert.equal(cleared.status, 200);
      assert.equal((await cleared.json()).analysis.from, "rtspUrl");
      const switched = Date.now();
      await waitFor(() => main.clientsConnected >= 1, 30_000, "analysis on the main stream");
      const onMain = await personBox(db, id, switched + 2000);
      onSub.forEach((v, i) =>
        assert.ok(
          Math.abs(v - onMain[i]!) < 0.03,
          `box from the sub-stream ${onSub} vs the main stream's own ${onMain}`,
        )
      );
    } finally {
      await app.close();
      await db.close();
      await main.stop();
      await sub.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A 10 s H.264 clip of one still picture: both servers then show the same scene. */
async function stillClip(image: string, dir: string): Promise<string> {
  const path = join(dir, "still.mp4");
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", image],
      ...["-t", "10", "-r", "10", "-vf", "format=yuv420p", "-c:v", "libx264", "-g", "10", path],
    ],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return path;
}

/**
 * The median box of the best person in the camera's detections since `since` (normalised
 * x1, y1, x2, y2), once at least five frames had one.
 */
async function personBox(db: TestDatabase, id: string, since: number): Promise<number[]> {
  let rows: { x1: number; y1: number; x2: number; y2: number }[] = [];
  const deadline = Date.now() + 60_000;
  while (rows.length < 5) {
    if (Date.now() > deadline) throw new Error(`only ${rows.length} frames with a person`);
    await new Promise((r) => setTimeout(r, 500));
    rows = await db.sql`
      select distinct on (frame) x1, y1, x2, y2 from detections
      where camera_id = ${id} and label = 'person' and ts >= ${new Date(since)}
      order by frame, score desc`;
  }
  const median = (key: "x1" | "y1" | "x2" | "y2") => {
    const sorted = rows.map((r) => r[key]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return [median("x1"), median("y1"), median("x2"), median("y2")];
}
