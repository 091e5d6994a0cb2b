/**
 * Issue 25, PTZ: `GET/POST /api/cameras/{id}/ptz` and `PUT /api/cameras/{id}/ptz/presets/{name}`
 * against simulated ONVIF cameras over real SOAP on 127.0.0.1: presets, moves that change the
 * simulated position and end, goto and home, values out of range, cameras without PTZ, roles and
 * camera-scoped tokens, and hostile devices (huge, slow, malformed replies).
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  CAMERA_CREDENTIALS,
  type SimulatedCamera,
  startSimulatedCamera,
  withSimulatedCamera,
} from "../support/onvif.ts";
import { createToken } from "../../models/auth.ts";

/** Per ONVIF call: roomy for a loaded box, short enough that the slow device's 504 is quick. */
const ONVIF_TIMEOUT_MS = 2000;
const RTSP = "rtsp://127.0.0.1:9/none";

async function onboard(t: TestApp, camera: SimulatedCamera, name = "ptz"): Promise<string> {
  const response = await t.call("POST", "/api/cameras", {
    body: { name, onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS } },
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return JSON.parse(text).id;
}

async function ptz(t: TestApp, id: string, body: unknown, token?: string) {
  const response = await t.call("POST", `/api/cameras/${id}/ptz`, { body, token });
  return { status: response.status, text: await response.text() };
}

async function withPtzApp(
  db: Parameters<typeof startTestApp>[0],
  fn: (t: TestApp, camera: SimulatedCamera, id: string) => Promise<void>,
) {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
  try {
    await withSimulatedCamera({ rtspUrl: RTSP, ptz: true }, async (camera) => {
      await fn(t, camera, await onboard(t, camera));
    });
  } finally {
    await t.close();
  }
}

forEachDatabase("PTZ presets are listed with the camera's limits and home", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    const response = await t.call("GET", `/api/cameras/${id}/ptz`);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.supported, true);
    assert.deepEqual(body.presets, [{ token: "1", name: "Gate" }, { token: "2", name: "Yard" }]);
    assert.deepEqual(body.limits.pan, { min: -1, max: 1 });
    assert.equal(body.home, true);
    assert.deepEqual(body.position, { pan: 0, tilt: 0, zoom: 0 });
    assert.ok(camera.actions.includes("GetPresets"));
  });
});

forEachDatabase("a PTZ move changes the simulated position and stop halts it", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    const moved = await ptz(t, id, { action: "move", pan: 1, tilt: -0.5 });
    assert.equal(moved.status, 204, moved.text);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(camera.ptz!.position().pan > 0, "the head pans right");
    assert.ok(camera.ptz!.position().tilt < 0, "and tilts down");
    const stopped = await ptz(t, id, { action: "stop" });
    assert.equal(stopped.status, 204, stopped.text);
    const halted = camera.ptz!.position();
    assert.equal(camera.ptz!.moving(), false);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(camera.ptz!.position(), halted, "no movement after stop");
    const read = await (await t.call("GET", `/api/cameras/${id}/ptz`)).json();
    assert.deepEqual(read.position, halted, "GET reports where the camera looks");
  });
});

forEachDatabase("a PTZ move ends at its timeout even when no stop comes", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    const moved = await ptz(t, id, { action: "move", zoom: 1, timeoutMs: 300 });
    assert.equal(moved.status, 204, moved.text);
    const sent = camera.actions.filter((a) => a === "ContinuousMove").length;
    assert.equal(sent, 1);
    const deadline = Date.now() + 5000;
    while (!camera.actions.includes("Stop") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(camera.actions.includes("Stop"), "Vigil sent Stop when the move's time ran out");
    assert.equal(camera.ptz!.moving(), false);
  });
});

forEachDatabase("out-of-range PTZ values answer 422 and move nothing", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    for (
      const body of [
        { action: "move", pan: 1.5 },
        { action: "move", tilt: -1.01 },
        { action: "move", zoom: 2 },
        { action: "move", pan: 0.5, timeoutMs: 60_001 },
        { action: "move", pan: 0.5, timeoutMs: 0 },
        { action: "spin" },
        { action: "goto" },
      ]
    ) {
      const reply = await ptz(t, id, body);
      assert.equal(reply.status, 422, `${JSON.stringify(body)}: ${reply.text}`);
    }
    assert.ok(!camera.actions.includes("ContinuousMove"), "nothing reached the camera");
    assert.deepEqual(camera.ptz!.position(), { pan: 0, tilt: 0, zoom: 0 });
  });
});

forEachDatabase("goto and home reach the preset, and a saved preset is listed", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    assert.equal((await ptz(t, id, { action: "goto", preset: "1" })).status, 204);
    assert.deepEqual(camera.ptz!.position(), camera.ptz!.presets.get("1")!.position);
    assert.equal((await ptz(t, id, { action: "goto", preset: "Yard" })).status, 204);
    assert.deepEqual(camera.ptz!.position(), camera.ptz!.presets.get("2")!.position);
    assert.equal((await ptz(t, id, { action: "home" })).status, 204);
    assert.deepEqual(camera.ptz!.position(), { pan: 0, tilt: 0, zoom: 0 });
    const missing = await ptz(t, id, { action: "goto", preset: "Nowhere" });
    assert.equal(missing.status, 404, missing.text);

    await ptz(t, id, { action: "goto", preset: "1" });
    const saved = await t.call("PUT", `/api/cameras/${id}/ptz/presets/Door`);
    const preset = await saved.json();
    assert.equal(saved.status, 200, JSON.stringify(preset));
    assert.equal(preset.name, "Door");
    await ptz(t, id, { action: "home" });
    assert.equal((await ptz(t, id, { action: "goto", preset: "Door" })).status, 204);
    assert.deepEqual(camera.ptz!.position(), camera.ptz!.presets.get("1")!.position);
    const again = await (await t.call("PUT", `/api/cameras/${id}/ptz/presets/Door`)).json();
    assert.equal(again.token, preset.token, "saving under the same name overwrites it");
    const listed = (await (await t.call("GET", `/api/cameras/${id}/ptz`)).json()).presets;
    assert.equal(listed.filter((p: { name: string }) => p.name === "Door").length, 1);
  });
});

forEachDatabase("a camera without PTZ answers 409 and reads as unsupported", async (db) => {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
  try {
    const byUrl = await t.call("POST", "/api/cameras", { body: { name: "url", rtspUrl: RTSP } });
    const urlId = (await byUrl.json()).id;
    const moved = await ptz(t, urlId, { action: "move", pan: 0.5 });
    assert.equal(moved.status, 409, moved.text);
    assert.equal(JSON.parse(moved.text).error.code, "onvif_not_capable");
    await withSimulatedCamera({ rtspUrl: RTSP }, async (camera) => {
      const id = await onboard(t, camera, "fixed");
      const read = await (await t.call("GET", `/api/cameras/${id}/ptz`)).json();
      assert.equal(read.supported, false);
      assert.equal((await ptz(t, id, { action: "stop" })).status, 409);
      assert.equal((await t.call("PUT", `/api/cameras/${id}/ptz/presets/x`)).status, 409);
    });
  } finally {
    await t.close();
  }
});

forEachDatabase("viewers cannot move a camera", async (db) => {
  await withPtzApp(db, async (t, camera, id) => {
    const read = await t.call("GET", `/api/cameras/${id}/ptz`, { token: t.tokens.viewer });
    assert.equal(read.status, 200, "a viewer sees the PTZ state");
    for (const body of [{ action: "move", pan: 1 }, { action: "home" }, { action: "stop" }]) {
      assert.equal((await ptz(t, id, body, t.tokens.viewer)).status, 403);
      assert.equal((await ptz(t, id, body, t.tokens.media)).status, 403);
    }
    const save = await t.call("PUT", `/api/cameras/${id}/ptz/presets/x`, {
      token: t.tokens.viewer,
    });
    assert.equal(save.status, 403);
    assert.ok(!camera.actions.some((a) => /Move|Goto|SetPreset|Stop/.test(a)));
  });
});

forEachDatabase("camera-scoped tokens reach only their cameras' PTZ", async (db) => {
  await withPtzApp(db, async (t, _camera, id) => {
    const other = await t.call("POST", "/api/cameras", { body: { name: "other", rtspUrl: RTSP } });
    const otherId = (await other.json()).id;
    const scoped = (await createToken(db.sql, "scoped", "viewer", [otherId])).token;
    const denied = await t.call("GET", `/api/cameras/${id}/ptz`, { token: scoped });
    assert.ok([403, 404].includes(denied.status), `got ${denied.status}`);
    const mine = await t.call("GET", `/api/cameras/${otherId}/ptz`, { token: scoped });
    assert.equal(mine.status, 200, "its own camera answers");
    assert.equal((await mine.json()).supported, false, "(it has no PTZ)");
  });
});

/** A device on the camera's port that answers every call with `handler`. */
async function hostileDevice(port: number, handler: (request: Request) => Response) {
  const listening = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => listening.resolve() },
    handler,
  );
  await listening.promise;
  return { stop: () => server.shutdown() };
}

forEachDatabase("a hostile PTZ device costs bounded memory and time", async (db) => {
  const t = await startTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
  try {
    const camera = await startSimulatedCamera({ ...CAMERA_CREDENTIALS, rtspUrl: RTSP, ptz: true });
    const id = await onboard(t, camera);
    await camera.stop();

    let streamed = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const huge = await hostileDevice(camera.port, () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            // 100 MB at most, unless the client stops reading.
            if (streamed > 100 * 1024 * 1024) return controller.close();
            streamed += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
        { headers: { "content-type": "application/soap+xml" } },
      ));
    try {
      const started = performance.now();
      const reply = await t.call("GET", `/api/cameras/${id}/ptz`);
      assert.equal(reply.status, 502, await reply.text());
      // Vigil reads 256 KiB and hangs up; the rest of what was sent sat in socket buffers.
      assert.ok(streamed < 16 * 1024 * 1024, `sent ${streamed} bytes of a 100 MB reply`);
      assert.ok(performance.now() - started < 5000);
    } finally {
      await huge.stop();
    }

    const malformed = await hostileDevice(camera.port, () =>
      new Response(
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><s:Envelope>&a;</s:Envelope>`,
        { headers: { "content-type": "application/soap+xml" } },
      ));
    try {
      const reply = await ptz(t, id, { action: "move", pan: 1 });
      assert.equal(reply.status, 502, reply.text);
      assert.equal(JSON.parse(reply.text).error.code, "onvif_bad_reply");
    } finally {
      await malformed.stop();
    }

    const stalled = new AbortController();
    const slow = await hostileDevice(camera.port, () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("<s:Envelope>"));
            stalled.signal.addEventListener("abort", () => controller.close());
          },
        }),
        { headers: { "content-type": "application/soap+xml" } },
      ));
    try {
      const started = performance.now();
      const reply = await ptz(t, id, { action: "home" });
      const ms = performance.now() - started;
      assert.equal(reply.status, 504, reply.text);
      assert.ok(ms < ONVIF_TIMEOUT_MS * 3, `answered after ${ms.toFixed(0)} ms`);
    } finally {
      stalled.abort();
      await slow.stop();
    }
  } finally {
    await t.close();
  }
});
