import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { startRtspServer, waitFor } from "../support/rtsp.ts";
import { startServer } from "../support/server_process.ts";
import { createToken } from "../../models/auth.ts";
import { type ParsedFamily, parsePrometheusText, sampleValue } from "../support/prometheus_text.ts";

const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

Deno.test({
  name: "GET /metrics needs a token of any role, and the metrics role may read nothing else",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      const scraper = (await createToken(db.sql, "prometheus", "metrics")).token;
      const anonymous = await app.app.request("/metrics");
      assert.equal(anonymous.status, 401);
      assert.equal((await anonymous.json()).error.code, "unauthorized");
      for (const token of [app.tokens.admin, app.tokens.viewer, app.tokens.media, scraper]) {
        const reply = await app.call("GET", "/metrics", { token });
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get("content-type"), CONTENT_TYPE);
        parsePrometheusText(await reply.text());
      }
      assert.equal((await app.call("GET", "/api/cameras", { token: scraper })).status, 403);
      // The metrics name every camera: a token limited to some cameras may not read them.
      const camera = await (await app.call("POST", "/api/cameras", {
        body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/x" },
      })).json();
      const limited = (await createToken(db.sql, "one camera", "viewer", [camera.id])).token;
      assert.equal((await app.call("GET", "/metrics", { token: limited })).status, 403);
      const made = await app.call("POST", "/api/tokens", { body: { name: "p2", role: "metrics" } });
      assert.equal(made.status, 201, "an admin can make a metrics token through the API");
    } finally {
      await app.close();
      await db.close();
    }
  },
});

Deno.test({
  name: "/metrics counters move while a camera is analysed: frames, detector runs, rows written",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startRtspServer({ source: VTEST, width: 640, height: 360, fps: 10 });
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      const camera = await (await app.call("POST", "/api/cameras", {
        body: { name: 'hall "A"', rtspUrl: server.url },
      })).json();
      const put = await app.call("PUT", `/api/cameras/${camera.id}/analytics`, {
        body: { fps: 5, classes: ["person"] },
      });
      assert.equal(put.status, 200);
      const scrape = async () => {
        const reply = await app.call("GET", "/metrics", { token: app.tokens.viewer });
        assert.equal(reply.status, 200);
        return parsePrometheusText(await reply.text());
      };
      const cam = { camera: camera.id };
      const written = (m: Map<string, ParsedFamily>) =>
        sampleValue(m, "vigil_writer_rows_written_total", { ...cam, table: "detections" });
      const runs = (m: Map<string, ParsedFamily>) =>
        sampleValue(m, "vigil_analysis_detector_runs_total", cam);
      // People walk through vtest.avi: detections are written within a few seconds.
      let first = await scrape();
      const deadline = Date.now() + 60_000;
      while (written(first) === 0 || runs(first) === 0) {
        if (Date.now() > deadline) throw new Error("no detection rows within 60 s");
        await new Promise((r) => setTimeout(r, 500));
        first = await scrape();
      }
      await new Promise((r) => setTimeout(r, 3000));
      const second = await scrape();
      for (const name of ["vigil_camera_frames_total", "vigil_analysis_frames_total"]) {
        assert.ok(sampleValue(second, name, cam) > sampleValue(first, name, cam), name);
      }
      assert.ok(runs(second) > runs(first), "detector runs");
      assert.ok(written(second) > written(first), "detection rows written");
      assert.equal(sampleValue(second, "vigil_camera_stream_state", { ...cam, state: "live" }), 1);
      assert.equal(sampleValue(second, "vigil_camera_info", { ...cam, name: 'hall "A"' }), 1);
      assert.equal(sampleValue(second, "vigil_analysis_attached", cam), 1);
      // Every detector run is one observation of the inference histogram.
      assert.equal(sampleValue(second, "vigil_inference_seconds_count", cam), runs(second));
      assert.ok(sampleValue(second, "vigil_analysis_fps", cam) > 0);
      assert.ok(sampleValue(second, "process_resident_memory_bytes") > 50 * 1024 * 1024);
      assert.equal(sampleValue(second, "vigil_database_up"), 1);
      const stored = await db.sql<{ n: number }[]>`
        select count(*)::int as n from detections where camera_id = ${camera.id}`;
      assert.ok(stored[0]!.n >= written(first), "rows counted as written are in the table");
    } finally {
      await app.close();
      await db.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "VIGIL_METRICS_ADDR serves /metrics on its own address without a token",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-metrics-addr-" });
    // Port 0, read back from the log: a port probed free could be taken before the server binds.
    const server = await startServer({
      VIGIL_DATA_DIR: dataDir,
      VIGIL_METRICS_ADDR: "127.0.0.1:0",
    });
    try {
      const listening = () => server.lines.find((l) => l.includes('"msg":"metrics listening"'));
      await waitFor(() => listening() !== undefined, 30_000, "the metrics listener");
      const { port } = JSON.parse(listening()!);
      assert.notEqual(String(port), server.base.split(":").at(-1), "its own port, not the API's");
      const open = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(open.status, 200);
      const parsed = parsePrometheusText(await open.text());
      assert.equal(sampleValue(parsed, "vigil_cameras"), 0);
      const other = await fetch(`http://127.0.0.1:${port}/api/cameras`);
      assert.equal(other.status, 404, "only /metrics is served there");
      await other.body?.cancel();
      const main = await fetch(`${server.base}/metrics`);
      assert.equal(main.status, 401, "the API port still wants a token");
      await main.body?.cancel();
    } finally {
      assert.equal((await server.stop()).code, 0);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
