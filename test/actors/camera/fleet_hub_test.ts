/**
 * The hub wired into Vigil (the same startSystem main.ts runs): analysis capture, snapshot grabs
 * and external readers of the relay all share ONE session to a simulated camera that counts its
 * sessions; readers authenticate with API tokens or signed URLs; a camera restart costs capture no
 * reconnect storm; the puller stops after the last reader.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { startRtspServer, waitFor } from "../../support/rtsp.ts";
import { probeImage } from "../../support/media.ts";
import { countFrames, probeStream } from "../../support/relay.ts";

const IDLE_MS = 2000;

Deno.test({
  name:
    "analysis, a snapshot and three relay readers share ONE camera session; tokens and signed URLs let readers in",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { rtsp: { idleTimeoutMs: IDLE_MS } });
    try {
      const id = await addCamera(app, camera.url);
      // A snapshot of a camera that is not capturing: a grab through the hub.
      const snap = await app.call("GET", `/api/cameras/${id}/snapshot.jpg`);
      assert.equal(snap.status, 200);
      assert.deepEqual(await probeImage(new Uint8Array(await snap.arrayBuffer())), {
        codec: "mjpeg",
        width: 640,
        height: 360,
      });
      assert.equal(
        (await app.call("PUT", `/api/cameras/${id}/analytics`, { body: {} })).status,
        200,
      );
      await waitFor(
        () => (app.fleet.analysisStats(id)?.frames ?? 0) > 5,
        30_000,
        "analysis frames",
      );

      const relayUrl = app.relay.server.url(`/cam/${id}`);
      const asViewer = relayUrl.replace("rtsp://", `rtsp://viewer:${app.tokens.viewer}@`);
      const reads = await Promise.all([1, 2, 3].map(() => countFrames(asViewer, 6)));
      for (const read of reads) {
        assert.ok(read.success, read.stderr);
        assert.ok(read.frames >= 0.95 * 6 * 25, `a reader got ${read.frames} frames of 150`);
      }
      assert.equal(camera.clientsConnected, 1, "the camera saw exactly one session");

      const view = await (await app.call("GET", `/api/cameras/${id}`)).json();
      const [path] = view.state.hub;
      assert.equal(path.path, `/cam/${id}`);
      assert.equal(path.puller, "publishing");
      assert.ok(path.consumers.includes("capture"), JSON.stringify(path.consumers));
      assert.ok(path.readers >= 1 && path.bitrateKbps > 0 && path.packetsOut > path.packetsIn);
      assert.equal(path.pid, null, "the hub's own RTSP client pulls: no ffmpeg");

      // Authentication on the relay.
      assert.match(String(await probeStream(relayUrl)), /401/, "no credentials");
      const wrong = relayUrl.replace(
        "rtsp://",
        `rtsp://viewer:vgl_aaaaaaaaaaaa_${"b".repeat(43)}@`,
      );
      assert.match(String(await probeStream(wrong)), /401/, "a wrong token");
      assert.match(
        String(
          await probeStream(
            app.relay.server.url("/cam/nope").replace("rtsp://", `rtsp://v:${app.tokens.media}@`),
          ),
        ),
        /404/,
        "an unknown path",
      );
      const signed = await app.call("GET", `/api/cameras/${id}/relay?ttl=60`, {
        token: app.tokens.media,
      });
      assert.equal(signed.status, 200);
      const { url, expiresAt } = await signed.json();
      assert.ok(Date.parse(expiresAt) > Date.now());
      assert.equal(
        typeof await probeStream(url),
        "object",
        "a signed URL plays without credentials",
      );
      const tampered = url.replace(/sig=./, (m: string) => m.endsWith("A") ? "sig=B" : "sig=A");
      assert.match(String(await probeStream(tampered)), /401/);
      const main = await app.call("GET", `/api/cameras/${id}/relay?stream=main`);
      assert.equal(typeof await probeStream((await main.json()).url), "object", "main is an alias");
      assert.equal((await app.call("GET", `/api/cameras/${id}/relay?stream=x`)).status, 400);
      assert.equal((await app.call("GET", `/api/cameras/${id}/relay?ttl=999999`)).status, 400);
      assert.equal(camera.clientsConnected, 1, "still one camera session");
    } finally {
      await app.close();
      await db.close();
      await camera.stop();
    }
  },
});

Deno.test({
  name:
    "a camera restart: the puller is back at once and analysis resumes without a capture reconnect storm; the puller stops after the last consumer",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db, { rtsp: { idleTimeoutMs: IDLE_MS } });
    try {
      const id = await addCamera(app, camera.url);
      assert.equal(
        (await app.call("PUT", `/api/cameras/${id}/analytics`, { body: {} })).status,
        200,
      );
      await waitFor(
        () => (app.fleet.analysisStats(id)?.frames ?? 0) > 5,
        30_000,
        "analysis frames",
      );
      const reconnects = app.fleet.status(id).reconnects;

      await camera.stop();
      await waitFor(
        () => app.fleet.status(id).hub[0]?.puller === "backoff",
        15_000,
        "puller backoff",
      );
      await new Promise((r) => setTimeout(r, 1000));
      await camera.start();
      const answering = performance.now();
      const frames = app.fleet.analysisStats(id)!.frames;
      await waitFor(
        () => (app.fleet.analysisStats(id)?.frames ?? 0) > frames + 5,
        20_000,
        "analysis resumes",
      );
      const puller = app.fleet.status(id).hub[0]!;
      console.log(
        `analysis resumed ${(performance.now() - answering).toFixed(0)} ms after the camera ` +
          `answered; capture reconnects ${app.fleet.status(id).reconnects - reconnects}, ` +
          `puller reconnects ${puller.reconnects}`,
      );
      assert.ok(puller.reconnects >= 1);
      assert.ok(
        app.fleet.status(id).reconnects - reconnects <= 1,
        "capture reconnected at most once (the relay kept it attached)",
      );
      assert.equal(app.fleet.status(id).stream, "live");

      // The last consumer leaves: the puller's camera session is gone within the idle timeout.
      assert.equal(camera.clientsOpen, 1);
      assert.equal(
        (await app.call("POST", `/api/cameras/${id}/capture`, { body: { action: "stop" } })).status,
        200,
      );
      const left = performance.now();
      await waitFor(() => camera.clientsOpen === 0, IDLE_MS + 15_000, "the camera session closed");
      const ms = performance.now() - left;
      assert.ok(
        ms >= IDLE_MS - 200,
        `stopped after ${ms.toFixed(0)} ms, not before the idle timeout`,
      );
      assert.equal(app.fleet.status(id).hub[0]!.puller, "idle");
    } finally {
      await app.close();
      await db.close();
      await camera.stop();
    }
  },
});

async function addCamera(app: TestApp, url: string): Promise<string> {
  const created = await app.call("POST", "/api/cameras", { body: { name: "porch", rtspUrl: url } });
  assert.equal(created.status, 201);
  return (await created.json()).id;
}
