/**
 * Onboarding a camera over ONVIF through `POST /api/cameras` `{"name","onvif":{...}}`, against
 * simulated cameras on 127.0.0.1 (no multicast): success all the way to a live stream, each
 * failure a clear error with nothing stored, clock skew tolerated, passwords never echoed.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startDiscoveryTestApp, waitUntilLive } from "../support/discovery_app.ts";
import { CAMERA_CREDENTIALS, withHttpServer, withSimulatedCamera } from "../support/onvif.ts";
import { startRtspServer } from "../support/rtsp.ts";
import { CLOSED_PORT } from "../support/ports.ts";

/** Per-call ONVIF limit in these tests: short, so the slow-device case is quick. */
/** Per ONVIF call: roomy for a loaded box, short enough that the slow camera's 504 is quick. */
const ONVIF_TIMEOUT_MS = 3000;

async function cameraRows(db: { sql: import("postgres").Sql }): Promise<string[]> {
  const rows = await db.sql<
    { text: string }[]
  >`select row_to_json(cameras)::text as text from cameras`;
  return rows.map((r) => r.text);
}

forEachDatabase(
  "a camera onboarded over ONVIF captures its analysis profile and goes live",
  async (db) => {
    const rtsp = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const t = await startDiscoveryTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
    try {
      await withSimulatedCamera({ rtspUrl: rtsp.url, name: "Gate" }, async (camera) => {
        const started = performance.now();
        const response = await t.call("POST", "/api/cameras", {
          body: {
            name: "gate",
            onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
          },
        });
        const onboardMs = performance.now() - started;
        const text = await response.text();
        assert.equal(response.status, 201, text);
        assert.ok(!text.includes(CAMERA_CREDENTIALS.password), "the reply carries no password");
        const created = JSON.parse(text);
        assert.equal(created.rtspUrl, rtsp.url, "the source is the analysis profile's stream URI");
        assert.equal(created.username, CAMERA_CREDENTIALS.username);
        assert.equal(created.hasPassword, true);
        assert.equal(created.onvif.endpointAddress, camera.endpointAddress);
        assert.equal(created.onvif.deviceUrl, camera.xaddr);
        assert.equal(created.onvif.analysisProfile.token, "sub");
        assert.equal(created.onvif.recordingProfile.token, "main");
        assert.equal(created.onvif.deviceInfo.model, "SimCam 1");
        for (const row of await cameraRows(db)) {
          assert.ok(!row.includes(CAMERA_CREDENTIALS.password), "no clear password in the row");
        }

        const capture = await t.call("POST", `/api/cameras/${created.id}/capture`, {
          body: { action: "start" },
        });
        assert.equal(capture.status, 200);
        const liveMs = await waitUntilLive(t, created.id);
        const read = await (await t.call("GET", `/api/cameras/${created.id}`)).text();
        assert.ok(!read.includes(CAMERA_CREDENTIALS.password));
        console.log(
          `onboarding took ${onboardMs.toFixed(0)} ms; live ${
            liveMs.toFixed(0)
          } ms after capture start`,
        );
      });
    } finally {
      await t.close();
      await rtsp.stop();
    }
  },
);

forEachDatabase("onboarding failures answer a clear error and store nothing", async (db, ctx) => {
  const t = await startDiscoveryTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
  const rtspUrl = "rtsp://127.0.0.1:9/none";
  const attempt = async (onvif: Record<string, unknown>, expected: [number, string, RegExp]) => {
    const response = await t.call("POST", "/api/cameras", { body: { name: "cam", onvif } });
    const text = await response.text();
    const [status, code, message] = expected;
    assert.equal(response.status, status, text);
    const { error } = JSON.parse(text);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    for (const secret of ["wrong-password", CAMERA_CREDENTIALS.password]) {
      assert.ok(!text.includes(secret), "the reply carries no password");
    }
    assert.deepEqual(await cameraRows(db), [], "nothing stored");
  };
  try {
    await ctx.step("a wrong password is 422 onvif_unauthorized", async () => {
      await withSimulatedCamera({ rtspUrl }, async (camera) => {
        await attempt(
          { host: "127.0.0.1", port: camera.port, username: "admin", password: "wrong-password" },
          [422, "onvif_unauthorized", /credentials|authori/i],
        );
      });
    });
    await ctx.step("an HTTP server that is not ONVIF is 422 onvif_not_onvif", async () => {
      await withHttpServer(async (port) => {
        await attempt(
          { host: "127.0.0.1", port, ...CAMERA_CREDENTIALS },
          [422, "onvif_not_onvif", /ONVIF/i],
        );
      });
    });
    await ctx.step("a SOAP fault is 502 onvif_fault", async () => {
      await withSimulatedCamera({ rtspUrl, faultActions: ["GetProfiles"] }, async (camera) => {
        await attempt(
          { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
          [502, "onvif_fault", /GetProfiles failed|fault/i],
        );
      });
    });
    await ctx.step("a slow device is 504 onvif_timeout", async () => {
      await withSimulatedCamera(
        { rtspUrl, responseDelayMs: ONVIF_TIMEOUT_MS * 3 },
        async (camera) => {
          await attempt(
            { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
            [504, "onvif_timeout", /time/i],
          );
        },
      );
    });
    await ctx.step("a closed port is 502 onvif_unreachable", async () => {
      await attempt(
        { host: "127.0.0.1", port: CLOSED_PORT, ...CAMERA_CREDENTIALS },
        [502, "onvif_unreachable", /127\.0\.0\.1/],
      );
    });
    await ctx.step("a bad host or port is 422 naming the field", async () => {
      await attempt(
        { host: "-oProxyCommand=x", port: 80, ...CAMERA_CREDENTIALS },
        [422, "invalid_input", /host/],
      );
      await attempt(
        { host: "127.0.0.1", port: 70000, ...CAMERA_CREDENTIALS },
        [422, "invalid_input", /onvif\.port/],
      );
      await attempt(
        { host: "127.0.0.1", ...CAMERA_CREDENTIALS, extra: true },
        [422, "invalid_input", /onvif\.extra is not a known field/],
      );
    });
    await ctx.step("rtspUrl and onvif together, or neither, is 422", async () => {
      for (
        const body of [{ name: "x" }, {
          name: "x",
          rtspUrl,
          onvif: { host: "h", ...CAMERA_CREDENTIALS },
        }]
      ) {
        const response = await t.call("POST", "/api/cameras", { body });
        assert.equal(response.status, 422);
        assert.match((await response.json()).error.message, /rtspUrl .*onvif/);
      }
      assert.deepEqual(await cameraRows(db), []);
    });
    await ctx.step("the server keeps answering after the failures", async () => {
      assert.equal((await t.call("GET", "/api/cameras")).status, 200);
    });
  } finally {
    await t.close();
  }
});

forEachDatabase("a camera whose clock is two hours off still onboards", async (db) => {
  const t = await startDiscoveryTestApp(db, { onvifTimeoutMs: ONVIF_TIMEOUT_MS });
  try {
    for (const [name, offsetMs] of [["ahead", 2 * 3600_000], ["behind", -2 * 3600_000]] as const) {
      await withSimulatedCamera(
        { rtspUrl: "rtsp://127.0.0.1:9/x", clockOffsetMs: offsetMs },
        async (camera) => {
          const response = await t.call("POST", "/api/cameras", {
            body: { name, onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS } },
          });
          const body = await response.json();
          assert.equal(response.status, 201, JSON.stringify(body));
          assert.ok(
            Math.abs(body.onvif.timeOffsetMs - offsetMs) < 5000,
            `offset ${body.onvif.timeOffsetMs} ≈ ${offsetMs}`,
          );
        },
      );
    }
  } finally {
    await t.close();
  }
});
