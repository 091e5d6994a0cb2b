/**
 * Analytics classes are any printable text and become MQTT topic levels. A class with `/`, `+` or
 * `#` used to make Vigil publish to an illegal topic, so the broker dropped the connection on
 * every connect and nothing was delivered; a class called `state` overwrote the camera's stream
 * state. Labels now go out as slugs (models/mqtt/label_levels.ts). From the review of issue 24
 * (test/review/mqtt_label_topic_test.ts).
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

const CAMERA = "01930000-0000-7000-8000-000000000001";
const cameras = (labels: string[]): CameraLink => ({
  facts: () =>
    Promise.resolve([{
      id: CAMERA,
      name: "hall",
      stream: "live",
      analytics: true,
      recording: false,
      labels,
    }]),
  command: () => Promise.resolve(),
});

function opened(label: string): FeedMessage {
  return {
    action: "open",
    event: {
      id: "01930000-0000-7000-8000-0000000000e1",
      camera: CAMERA,
      kind: "object",
      label,
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
  name: "labels with MQTT wildcards or Vigil's own level names keep the bridge connected and " +
    "are counted on their slug topics",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const broker = await startMosquitto();
    const bus = createEventBus<FeedMessage>();
    const bridge = startMqttBridge({
      settings: mqttSettingsFromEnv({ VIGIL_MQTT_URL: broker.url })!,
      bus,
      cameras: cameras(["person", "car/#", "a+b", "state"]),
      baseUrl: "",
      clientId: "vigil-label-topics",
      statePollMs: 200,
    });
    const watcher = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      username: broker.username,
      password: broker.password,
    });
    const seen = new Map<string, string>();
    watcher.on("message", (topic, payload) => seen.set(topic, payload.toString()));
    await watcher.subscribeAsync(`vigil/${CAMERA}/#`);
    const samples: boolean[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        if (i === 10) bus.publish(opened("car/#"));
        await new Promise((r) => setTimeout(r, 100));
        samples.push(bridge.stats().connected);
      }
      const drops = samples.filter((c, i) => i > 0 && samples[i - 1] && !c).length;
      assert.equal(drops, 0, `the connection is never dropped: ${samples.map(Number).join("")}`);
      assert.ok(samples.at(-1), "connected at the end");
      await waitFor(() => seen.get(`vigil/${CAMERA}/car__`) === "1", 5000, "the car/# count");
      assert.equal(seen.get(`vigil/${CAMERA}/a_b`), "0");
      assert.equal(seen.get(`vigil/${CAMERA}/person`), "0");
      assert.equal(seen.get(`vigil/${CAMERA}/state_label`), "0");
      assert.equal(seen.get(`vigil/${CAMERA}/state`), "live", "the stream state is its own");
      assert.equal(seen.get(`vigil/${CAMERA}/all`), "1");
    } finally {
      await watcher.endAsync();
      await bridge.stop();
      await broker.close();
    }
  },
});
