/**
 * A camera that answers PullMessages at once (ignoring the Timeout) must not make Vigil poll in
 * a tight loop: a proxy in front of the simulated camera rewrites every Timeout to PT0S.
 */
import assert from "node:assert/strict";
import { startSimulatedCamera } from "../../../scripts/sim/onvif_camera.ts";
import { startPullPoint } from "../../../actors/onvif/pull_point.ts";
import { CAMERA_CREDENTIALS } from "../../support/onvif.ts";

Deno.test("a camera answering PullMessages at once is polled at a bounded pace", async () => {
  const camera = await startSimulatedCamera({
    ...CAMERA_CREDENTIALS,
    rtspUrl: "rtsp://127.0.0.1:9/none",
    events: {},
  });
  let pulls = 0;
  let proxyPort = 0;
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    let body = await request.text();
    if (body.includes("PullMessages")) {
      pulls++;
      body = body.replace(/PT\d+S<\/tev:Timeout>/, "PT0S</tev:Timeout>");
    }
    const reply = await fetch(`http://127.0.0.1:${camera.port}${new URL(request.url).pathname}`, {
      method: request.method,
      headers: request.headers,
      body,
    });
    const text = (await reply.text())
      .replaceAll(`127.0.0.1:${camera.port}`, `127.0.0.1:${proxyPort}`);
    return new Response(text, {
      status: reply.status,
      headers: { "content-type": reply.headers.get("content-type") ?? "application/soap+xml" },
    });
  });
  proxyPort = proxy.addr.port;
  const pullPoint = startPullPoint({
    cameraId: "00000000-0000-7000-8000-000000000001",
    access: () =>
      Promise.resolve({
        deviceUrl: `http://127.0.0.1:${proxyPort}/onvif/device_service`,
        ...CAMERA_CREDENTIALS,
      }),
    apply: () => {},
  });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(pullPoint.status().state, "subscribed");
  } finally {
    await pullPoint.stop();
    await proxy.shutdown();
    await camera.stop();
  }
  // Unpaced this was several hundred; paced: the first reply (the alarms' initial state), then
  // one empty reply that waits out half the 10 s poll.
  assert.ok(pulls >= 1 && pulls <= 4, `${pulls} PullMessages in 2 s`);
});
