/**
 * Stopping the hub while its RTSP client is still in the handshake with a camera that does not
 * answer (a hostile or hung camera): the stop must not wait for the client's request timeout.
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import { Hub } from "../../../actors/stream/hub.ts";
import { startSilentServer, waitFor } from "../../support/rtsp.ts";

Deno.test("hub.stop() ends at once while the RTSP client waits on a camera that never answers", async () => {
  const silent = startSilentServer();
  const ref: { hub?: Hub } = {};
  const server = await startRtspServer({ port: 0, demand: (path) => ref.hub?.demand(path) });
  const hub = ref.hub = new Hub({
    server,
    credentials: { username: "vigil", password: "internal-test-secret" },
    idleTimeoutMs: 1000,
    timeoutMs: 5000,
  });
  try {
    hub.setCamera("c1", { default: silent.url });
    const lease = await hub.acquire("c1", {}, "test");
    await waitFor(() => silent.accepted > 0, 5000, "the client connected");
    lease.release();
    const started = performance.now();
    await hub.stop();
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `hub.stop() took ${Math.round(ms)} ms (the client's 5000 ms timeout)`);
  } finally {
    await hub.stop();
    await server.close();
    await silent.stop();
  }
});
