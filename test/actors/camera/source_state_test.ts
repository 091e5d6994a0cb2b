/**
 * The camera's stream state follows its source (issue 21, findings 6 and 7): capture reads the
 * relay, which keeps readers attached for a while after the camera is gone, so the state comes
 * from the hub's puller; and a camera that returns is live again soon after it answers.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { startRtspServer, waitFor } from "../../support/rtsp.ts";
import { TcpProxy } from "../../support/tcp_proxy.ts";

async function startCapturing(app: TestApp, url: string): Promise<string> {
  const created = await app.call("POST", "/api/cameras", { body: { name: "porch", rtspUrl: url } });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const started = await app.call("POST", `/api/cameras/${id}/capture`, {
    body: { action: "start" },
  });
  assert.equal(started.status, 200);
  await waitFor(() => app.fleet.status(id).stream === "live", 30_000, "the camera to be live");
  return id;
}

async function metricState(app: TestApp, id: string): Promise<string | undefined> {
  const text = await (await app.call("GET", "/metrics")).text();
  const line = text.split("\n").find((l) =>
    l.startsWith("vigil_camera_stream_state{") && l.includes(`camera="${id}"`) && l.endsWith(" 1")
  );
  return line ? /state="([a-z]+)"/.exec(line)?.[1] : undefined;
}

Deno.test({
  name: "a camera whose source dies is not live 4 s later, in the API and in /metrics",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db);
    try {
      const id = await startCapturing(app, camera.url);
      assert.equal(await metricState(app, id), "live");
      await camera.stop();
      const stopped = performance.now();
      let left: number | null = null;
      while (performance.now() - stopped < 4000) {
        if (left === null && app.fleet.status(id).stream !== "live") {
          left = performance.now() - stopped;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(`the camera left live ${left?.toFixed(0)} ms after its source stopped`);
      // The goal is 2 s; the slack covers a loaded box.
      assert.notEqual(app.fleet.status(id).stream, "live", "still live 4 s after the source died");
      assert.notEqual(await metricState(app, id), "live");
      const view = await (await app.call("GET", `/api/cameras/${id}`)).json();
      assert.notEqual(view.state.stream, "live");
      assert.match(String(view.state.lastError), /puller/, "the puller's error is shown");
    } finally {
      await app.close();
      await db.close();
      await camera.stop();
    }
  },
});

Deno.test({
  name: "a camera whose source goes silent (connection open, no packet) is not live 4 s later",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25 });
    const proxy = new TcpProxy(camera.port);
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db);
    try {
      const id = await startCapturing(
        app,
        camera.url.replace(`:${camera.port}/`, `:${proxy.port}/`),
      );
      proxy.hang();
      const ms = await waitFor(() => app.fleet.status(id).stream !== "live", 4000, "not live");
      console.log(`the camera left live ${ms.toFixed(0)} ms after its source went silent`);
      const view = await (await app.call("GET", `/api/cameras/${id}`)).json();
      assert.match(String(view.state.lastError), /sends nothing/);
    } finally {
      proxy.unhang();
      await app.close();
      await db.close();
      await proxy.close();
      await camera.stop();
    }
  },
});

Deno.test({
  name: "a camera that comes back after 15 s is live within 2 s of its source answering",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ fps: 25 });
    const db = await openTestDatabase("postgres");
    const app = await startTestApp(db);
    try {
      const id = await startCapturing(app, camera.url);
      await camera.stop();
      await waitFor(() => app.fleet.status(id).stream !== "live", 10_000, "not live");
      await new Promise((r) => setTimeout(r, 15_000));
      assert.notEqual(app.fleet.status(id).stream, "live");
      await camera.start();
      const ms = await waitFor(() => app.fleet.status(id).stream === "live", 20_000, "live again");
      console.log(`live again ${ms.toFixed(0)} ms after the source answered`);
      // The goal is 2 s (`deno task bench outage`); the slack covers a loaded box.
      assert.ok(ms < 8000, `live again after ${ms.toFixed(0)} ms`);
    } finally {
      await app.close();
      await db.close();
      await camera.stop();
    }
  },
});
