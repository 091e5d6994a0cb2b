/**
 * Issue 24, MQTT bridge: a broker that is down or slow never blocks the event feed (publishing is
 * a synchronous, bounded enqueue), what overflows is dropped and counted for `/metrics`, and the
 * bridge reconnects with backoff and delivers what it kept once the broker is back.
 */
import assert from "node:assert/strict";
import { connectAsync } from "mqtt";
import { startMqttBridge } from "../../../actors/mqtt/bridge.ts";
import type { CameraLink } from "../../../actors/mqtt/camera_link.ts";
import { createEventBus } from "../../../models/event_bus.ts";
import type { FeedMessage } from "../../../actors/camera/event_recorder.ts";
import { mqttSettingsFromEnv } from "../../../models/mqtt/mqtt_settings.ts";
import { startMosquitto } from "../../support/mosquitto.ts";
import { waitFor } from "../../support/rtsp.ts";
import { vigilFamilies } from "../../../models/metrics/vigil_metrics.ts";
import { renderExposition } from "../../../models/metrics/exposition.ts";

const CAMERA = "01930000-0000-7000-8000-000000000001";
const NO_CAMERAS: CameraLink = {
  facts: () => Promise.resolve([]),
  command: () => Promise.resolve(),
};

function message(i: number): FeedMessage {
  return {
    action: "open",
    event: {
      id: `01930000-0000-7000-8000-${String(i).padStart(12, "0")}`,
      camera: CAMERA,
      kind: "object",
      label: "person",
      trackId: null,
      zone: null,
      startedAt: new Date(0).toISOString(),
      endedAt: null,
      bestScore: 0.9,
      hasSnapshot: false,
      details: {},
    },
  };
}

Deno.test({
  name: "a broker that is down never blocks the feed; overflow is dropped, counted, and the rest " +
    "delivered after it returns",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const broker = await startMosquitto();
    await broker.stop();
    const bus = createEventBus<FeedMessage>();
    const bridge = startMqttBridge({
      settings: mqttSettingsFromEnv({ VIGIL_MQTT_URL: broker.url })!,
      bus,
      cameras: NO_CAMERAS,
      baseUrl: "",
      clientId: "vigil-test",
      outboxCapacity: 100,
    });
    try {
      const started = performance.now();
      for (let i = 0; i < 1000; i++) bus.publish(message(i));
      const ms = performance.now() - started;
      // A thousand publishes with the broker down: a bounded enqueue each, never a wait on the
      // network (generous: the point is no connect timeout, seconds, per message).
      assert.ok(ms < 500, `publishing took ${ms} ms`);
      const stats = bridge.stats();
      assert.equal(stats.connected, false);
      assert.equal(stats.queued, 100);
      assert.equal(stats.dropped, 900);
      const text = renderExposition(vigilFamilies({
        cameras: [],
        rssBytes: 0,
        lag: { histogram: { bounds: [], buckets: [], sum: 0, count: 0 }, p99Seconds: 0 },
        databaseUp: true,
        mqtt: stats,
      }));
      assert.match(text, /^vigil_mqtt_messages_dropped_total 900$/m);
      assert.match(text, /^vigil_mqtt_connected 0$/m);

      // The broker comes back: the bridge reconnects by itself and sends the 100 it kept.
      const listener = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        username: broker.username,
        password: broker.password,
      }).catch(() => undefined);
      assert.equal(listener, undefined, "the broker is down");
      await broker.start();
      const watcher = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        username: broker.username,
        password: broker.password,
      });
      const received: string[] = [];
      watcher.on(
        "message",
        (_topic, payload) => received.push(JSON.parse(payload.toString()).after.id),
      );
      await watcher.subscribeAsync("vigil/events");
      await waitFor(() => received.length >= 100, 40_000, "the kept events");
      assert.equal(received[0], message(900).event.id, "the oldest were the ones dropped");
      assert.equal(received.at(-1), message(999).event.id);
      assert.equal(bridge.stats().connected, true);
      assert.equal(bridge.stats().queued, 0);
      await watcher.endAsync();
    } finally {
      await bridge.stop();
      await broker.close();
    }
  },
});
