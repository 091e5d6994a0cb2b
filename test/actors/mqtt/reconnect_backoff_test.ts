/**
 * A broker that accepts the client and then drops it (a rejected publish, an ACL) must not be
 * redialled at the first backoff delay forever: the bridge starts its backoff over only after a
 * connection has stayed up for a while. From the review of issue 24.
 */
import assert from "node:assert/strict";
import { startMqttBridge } from "../../../actors/mqtt/bridge.ts";
import type { CameraLink } from "../../../actors/mqtt/camera_link.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import type { FeedMessage } from "../../../actors/camera/event_recorder.ts";
import { mqttSettingsFromEnv } from "../../../models/mqtt/mqtt_settings.ts";

const NO_CAMERAS: CameraLink = {
  facts: () => Promise.resolve([]),
  command: () => Promise.resolve(),
};
/** CONNACK, session not present, return code 0 (accepted). */
const CONNACK = new Uint8Array([0x20, 0x02, 0x00, 0x00]);

Deno.test({
  name: "a broker that drops the client right after accepting it is redialled with growing delays",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let connects = 0;
    const serving = (async () => {
      for await (const conn of listener) {
        connects++;
        (async () => {
          await conn.read(new Uint8Array(1024)).catch(() => null);
          await conn.write(CONNACK).catch(() => 0);
          await new Promise((r) => setTimeout(r, 20));
          conn.close();
        })();
      }
    })().catch(() => {});
    const bridge = startMqttBridge({
      settings: mqttSettingsFromEnv({
        VIGIL_MQTT_URL: `mqtt://127.0.0.1:${listener.addr.port}`,
      })!,
      bus: createEventBus<FeedMessage>(),
      cameras: NO_CAMERAS,
      baseUrl: "",
      clientId: "vigil-backoff",
    });
    try {
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await bridge.stop();
      listener.close();
      await serving;
    }
    // Delays at least 250, 500, 1000, 2000 ms (0.5 s doubling, jitter down to half): at most the
    // first connect and three more in 3 s. Reset on every CONNACK it was one every ≤ 0.5 s (≥ 6).
    assert.ok(connects >= 2, `it redials (${connects} connects)`);
    assert.ok(connects <= 4, `${connects} connects in 3 s`);
  },
});
