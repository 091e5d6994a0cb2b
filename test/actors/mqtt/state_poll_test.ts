/**
 * The bridge compares camera states with what it published every poll; while the database
 * stalls, the ticks are skipped instead of queueing one refresh each behind the stalled one (which
 * then ran back to back when the database came back). From the review of issue 24.
 */
import assert from "node:assert/strict";
import { startMqttBridge } from "../../../actors/mqtt/bridge.ts";
import type { CameraLink } from "../../../actors/mqtt/camera_link.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import type { FeedMessage } from "../../../actors/camera/event_recorder.ts";
import { mqttSettingsFromEnv } from "../../../models/mqtt/mqtt_settings.ts";

Deno.test({
  name: "state poll ticks are skipped while reading the cameras stalls, not queued",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A port nobody listens on: the bridge retries in the background, which is not under test.
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    closed.close();
    let calls = 0;
    const { promise: stalled, resolve: release } = Promise.withResolvers<void>();
    const cameras: CameraLink = {
      facts: async () => {
        calls++;
        if (calls === 1) await stalled;
        return [];
      },
      command: () => Promise.resolve(),
    };
    const bridge = startMqttBridge({
      settings: mqttSettingsFromEnv({ VIGIL_MQTT_URL: `mqtt://127.0.0.1:${port}` })!,
      bus: createEventBus<FeedMessage>(),
      cameras,
      baseUrl: "",
      clientId: "vigil-state-poll",
      statePollMs: 50,
    });
    try {
      // ~20 ticks while the first read hangs.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(calls, 1, "one read at a time");
      release();
      await new Promise((r) => setTimeout(r, 20));
      // At most one more tick's read in 20 ms; queued ticks would all read at once (~20).
      assert.ok(calls <= 3, `${calls} reads right after the stall`);
    } finally {
      await bridge.stop();
    }
  },
});
