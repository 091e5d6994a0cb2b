/**
 * Issue 24: what Vigil publishes over MQTT — Frigate's event shape, Home Assistant discovery with
 * unique ids, commands parsed strictly — and the MQTT settings (credentials split off the URL).
 */
import assert from "node:assert/strict";
import {
  discoveryMessages,
  eventMessage,
  mqttEvent,
  parseCommand,
  removals,
} from "../../../models/mqtt/topics.ts";
import { labelLevels, labelSlug } from "../../../models/mqtt/label_levels.ts";
import { mqttSettingsFromEnv } from "../../../models/mqtt/mqtt_settings.ts";
import { Outbox } from "../../../models/mqtt/outbox.ts";
import { Occupancy } from "../../../models/mqtt/occupancy.ts";
import { loadConfig } from "../../../models/config.ts";
import { ValidationError } from "../../../models/errors.ts";
import type { EventView } from "../../../models/store/events.ts";

const CAMERA = "01930000-0000-7000-8000-00000000000a";
const VIEW: EventView = {
  id: "01930000-0000-7000-8000-0000000000e1",
  camera: CAMERA,
  kind: "object",
  label: "person",
  trackId: null,
  zone: null,
  startedAt: "2026-12-05T10:00:00.000Z",
  endedAt: null,
  bestScore: 0.8,
  hasSnapshot: true,
  details: {},
};

Deno.test("eventMessage() has Frigate's shape: new/update/end with before and after", () => {
  const after = mqttEvent(VIEW, "http://box:8080");
  assert.equal(after.snapshot, `http://box:8080/api/events/${VIEW.id}/snapshot.jpg`);
  assert.equal(mqttEvent({ ...VIEW, hasSnapshot: false }, "").snapshot, null);
  const opened = eventMessage("vigil", "open", null, after);
  assert.deepEqual(opened.topic, "vigil/events");
  assert.equal(opened.retain, false);
  assert.deepEqual(JSON.parse(opened.payload), { type: "new", before: after, after });
  const ended = { ...after, endedAt: "2026-12-05T10:00:05.000Z" };
  assert.equal(JSON.parse(eventMessage("vigil", "close", after, ended).payload).type, "end");
  assert.equal(JSON.parse(eventMessage("vigil", "update", after, after).payload).type, "update");
});

Deno.test("discoveryMessages() retains one config per entity with a unique_id", async (t) => {
  const camera = {
    id: CAMERA,
    name: "door",
    stream: "live",
    analytics: true,
    recording: false,
    labels: ["car", "person"],
  };
  await t.step("without commands: occupancy, state, a count per label", () => {
    const messages = discoveryMessages(
      { prefix: "vigil", discoveryPrefix: "homeassistant", commands: false },
      camera,
    );
    const node = `vigil_${CAMERA.replaceAll("-", "")}`;
    assert.deepEqual(messages.map((m) => m.topic), [
      `homeassistant/binary_sensor/${node}/occupancy/config`,
      `homeassistant/sensor/${node}/state/config`,
      `homeassistant/sensor/${node}/car_count/config`,
      `homeassistant/sensor/${node}/person_count/config`,
    ]);
    const ids = messages.map((m) => JSON.parse(m.payload).unique_id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(messages.every((m) => m.retain));
    const occupancy = JSON.parse(messages[0]!.payload);
    assert.equal(occupancy.state_topic, `vigil/${CAMERA}/all`);
    assert.equal(occupancy.device_class, "occupancy");
  });
  await t.step("with commands: the analytics and recording switches", () => {
    const messages = discoveryMessages(
      { prefix: "vigil", discoveryPrefix: "ha", commands: true },
      camera,
    );
    const switches = messages.filter((m) => m.topic.startsWith("ha/switch/"));
    assert.deepEqual(
      switches.map((m) => JSON.parse(m.payload).command_topic),
      [`vigil/${CAMERA}/analytics/set`, `vigil/${CAMERA}/recording/set`],
    );
  });
  await t.step("removals() empties the retained configs", () => {
    const gone = removals(discoveryMessages(
      { prefix: "vigil", discoveryPrefix: "ha", commands: false },
      camera,
    ));
    assert.ok(gone.every((m) => m.payload === "" && m.retain));
  });
});

Deno.test("labelSlug() makes any label a safe topic level apart from Vigil's own", () => {
  const cases: [string, string][] = [
    ["person", "person"],
    ["traffic light", "traffic_light"],
    ["Car", "car"],
    ["car/#", "car__"],
    ["a+b", "a_b"],
    ["über-wagen", "_ber-wagen"],
    ["state", "state_label"],
    ["All", "all_label"],
    ["analytics", "analytics_label"],
    ["recording", "recording_label"],
  ];
  for (const [label, slug] of cases) {
    assert.equal(labelSlug(label), slug, label);
    assert.match(labelSlug(label), /^[a-z0-9_-]+$/);
  }
});

Deno.test("labelLevels() keeps labels that are their own slug and numbers look-alikes in sorted order", () => {
  const levels = labelLevels(["car/x", "car_x", "car+x", "state", "state_label", "person"]);
  assert.deepEqual(Object.fromEntries(levels), {
    "car/x": "car_x_3",
    "car_x": "car_x",
    "car+x": "car_x_2",
    "state": "state_label_2",
    "state_label": "state_label",
    "person": "person",
  });
  assert.deepEqual(labelLevels(["car+x", "car/x"]), labelLevels(["car/x", "car+x"]), "order-free");
});

Deno.test("discoveryMessages() uses the label's slug in topics and ids, the label in the name", () => {
  const messages = discoveryMessages(
    { prefix: "vigil", discoveryPrefix: "homeassistant", commands: false },
    {
      id: CAMERA,
      name: "hall",
      stream: "live",
      analytics: true,
      recording: false,
      labels: ["traffic light", "car/#", "state"],
    },
  );
  // Home Assistant's discovery topic: <component>/[<node_id>/]<object_id>/config.
  const HA = /^homeassistant\/\w+\/(?:[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]+\/config$/;
  for (const m of messages) {
    assert.match(m.topic, HA);
    const config = JSON.parse(m.payload);
    assert.match(config.object_id, /^[a-zA-Z0-9_-]+$/);
    assert.match(config.unique_id, /^[a-zA-Z0-9_-]+$/);
  }
  const light = messages.find((m) => m.topic.endsWith("/traffic_light_count/config"));
  assert.ok(light, messages.map((m) => m.topic).join("\n"));
  const config = JSON.parse(light.payload);
  assert.equal(config.name, "traffic light count");
  assert.equal(config.state_topic, `vigil/${CAMERA}/traffic_light`);
  const states = messages.map((m) => JSON.parse(m.payload).state_topic);
  assert.equal(states.filter((t) => t === `vigil/${CAMERA}/state`).length, 1, "only the stream");
  assert.ok(states.includes(`vigil/${CAMERA}/state_label`));
  assert.ok(states.includes(`vigil/${CAMERA}/car__`));
});

Deno.test("parseCommand() takes <prefix>/<camera>/<switch>/set with ON or OFF only", () => {
  const cases: [string, string, ReturnType<typeof parseCommand>][] = [
    [`vigil/${CAMERA}/analytics/set`, "OFF", { camera: CAMERA, name: "analytics", on: false }],
    [`vigil/${CAMERA}/recording/set`, "on", { camera: CAMERA, name: "recording", on: true }],
    [`vigil/${CAMERA}/capture/set`, "ON", undefined],
    [`vigil/${CAMERA}/analytics/state`, "ON", undefined],
    [`other/${CAMERA}/analytics/set`, "ON", undefined],
    [`vigil/${CAMERA}/analytics/set`, "toggle", undefined],
    ["vigil/x'; drop table cameras/analytics/set", "OFF", undefined],
  ];
  for (const [topic, payload, want] of cases) {
    assert.deepEqual(parseCommand("vigil", topic, payload), want, `${topic} ${payload}`);
  }
});

Deno.test("Occupancy counts open object events per label and in total", () => {
  const occupancy = new Occupancy();
  assert.deepEqual(occupancy.apply("open", VIEW), [
    { camera: CAMERA, label: "person", count: 1 },
    { camera: CAMERA, label: "all", count: 1 },
  ]);
  assert.deepEqual(occupancy.apply("update", VIEW), []);
  assert.deepEqual(occupancy.apply("open", { ...VIEW, kind: "offline", label: null }), []);
  assert.deepEqual(occupancy.apply("close", VIEW), [
    { camera: CAMERA, label: "person", count: 0 },
    { camera: CAMERA, label: "all", count: 0 },
  ]);
  assert.deepEqual(occupancy.apply("close", VIEW), [], "a second close changes nothing");
});

Deno.test("Outbox keeps the newest items and counts the dropped", () => {
  const outbox = new Outbox<number>(3);
  for (let i = 0; i < 5; i++) outbox.push(i);
  assert.equal(outbox.dropped, 2);
  assert.deepEqual([outbox.shift(), outbox.shift(), outbox.shift(), outbox.shift()], [
    2,
    3,
    4,
    undefined,
  ]);
  assert.throws(() => new Outbox(0), RangeError);
});

Deno.test("VIGIL_MQTT_URL: credentials are split off and decoded; a bad value never echoed", () => {
  assert.equal(loadConfig({}).mqtt, undefined);
  const settings = loadConfig({
    VIGIL_MQTT_URL: "mqtts://vigil:s3cr%40t%2Fpw@broker.lan:8883",
    VIGIL_MQTT_COMMANDS: "on",
  }).mqtt!;
  assert.deepEqual(settings, {
    url: "mqtts://broker.lan:8883",
    username: "vigil",
    password: "s3cr@t/pw",
    prefix: "vigil",
    discoveryPrefix: "homeassistant",
    commands: true,
  });
  for (
    const env of [
      { VIGIL_MQTT_URL: "http://u:hunter2@broker" },
      { VIGIL_MQTT_URL: "mqtt://u:hunter2@broker/path" },
      { VIGIL_MQTT_URL: "mqtt://u:%E0%A4%A@broker" },
      { VIGIL_MQTT_URL: "mqtt://broker", VIGIL_MQTT_PREFIX: "a/b" },
      { VIGIL_MQTT_URL: "mqtt://broker", VIGIL_MQTT_DISCOVERY_PREFIX: "#" },
      { VIGIL_MQTT_URL: "mqtt://broker", VIGIL_MQTT_COMMANDS: "yes" },
    ]
  ) {
    assert.throws(() => mqttSettingsFromEnv(env), (error: unknown) => {
      assert.ok(error instanceof ValidationError, JSON.stringify(env));
      assert.ok(!error.message.includes("hunter2"), error.message);
      return true;
    });
  }
});
