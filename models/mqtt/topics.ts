/**
 * What Vigil publishes over MQTT, as pure functions from state to messages. Topics follow
 * Frigate's conventions (`<prefix>/events` with `{type: new|update|end, before, after}`,
 * `<prefix>/<camera>/<label>` counts, `<prefix>/<camera>/all`, `<prefix>/available`,
 * `<prefix>/<camera>/<feature>/set|state` switches), with the camera's id as its topic level: ids
 * never change and never need escaping, names may do both; a label's level is its slug
 * (models/mqtt/label_levels.ts). Home Assistant discovery configs
 * (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery) are retained, one device per
 * camera, every entity with a `unique_id`.
 *
 * @module
 */
import type { EventView } from "../store/events.ts";
import { isUuid } from "../ids.ts";
import { labelLevels } from "./label_levels.ts";

/** One message to publish. */
export interface MqttMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
}

/** What the bridge knows of a camera when it publishes its state and discovery. */
export interface CameraFacts {
  id: string;
  name: string;
  /** The stream state (`live`, `connecting`, `backoff`, `offline`). */
  stream: string;
  analytics: boolean;
  recording: boolean;
  /** Labels with a count sensor: the analytics classes and any label seen in an event. */
  labels: readonly string[];
}

/** The switches Home Assistant gets when commands are on. */
export const SWITCHES = ["analytics", "recording"] as const;
/** One of {@linkcode SWITCHES}. */
export type SwitchName = typeof SWITCHES[number];

/** The feed's actions under Frigate's names. */
const EVENT_TYPES = { open: "new", update: "update", close: "end" } as const;

/**
 * The topics under a prefix.
 *
 * @param prefix `VIGIL_MQTT_PREFIX`
 * @returns topic builders
 */
export function topicsOf(prefix: string) {
  return {
    available: `${prefix}/available`,
    events: `${prefix}/events`,
    /** A label's count; `level` is the label's slug from {@linkcode labelLevels}, never raw. */
    count: (camera: string, level: string) => `${prefix}/${camera}/${level}`,
    all: (camera: string) => `${prefix}/${camera}/all`,
    state: (camera: string) => `${prefix}/${camera}/state`,
    switchState: (camera: string, name: SwitchName) => `${prefix}/${camera}/${name}/state`,
    switchSet: (camera: string, name: SwitchName) => `${prefix}/${camera}/${name}/set`,
    /** What the bridge subscribes to when commands are on. */
    allSets: `${prefix}/+/+/set`,
  };
}

/** An event as MQTT shows it: the API's view plus its snapshot's URL. */
export type MqttEvent = EventView & { snapshot: string | null };

/**
 * The event as published: the API view, with the snapshot as a URL instead of a flag.
 *
 * @param view the event as the API shows it
 * @param baseUrl `VIGIL_PUBLIC_URL`, or "" for a path relative to the box
 * @returns the published form
 */
export function mqttEvent(view: EventView, baseUrl: string): MqttEvent {
  return {
    ...view,
    snapshot: view.hasSnapshot ? `${baseUrl}/api/events/${view.id}/snapshot.jpg` : null,
  };
}

/**
 * The `<prefix>/events` message of a feed message.
 *
 * @param prefix topic prefix
 * @param action what happened (`open`, `update`, `close`)
 * @param before the event as last published (null for a new one)
 * @param after the event now
 * @returns the message (not retained)
 */
export function eventMessage(
  prefix: string,
  action: keyof typeof EVENT_TYPES,
  before: MqttEvent | null,
  after: MqttEvent,
): MqttMessage {
  return {
    topic: topicsOf(prefix).events,
    payload: JSON.stringify({ type: EVENT_TYPES[action], before: before ?? after, after }),
    retain: false,
    qos: 0,
  };
}

/**
 * A camera's retained state: stream state, and the switches' states.
 *
 * @param prefix topic prefix
 * @param camera the camera
 * @returns the messages
 */
export function cameraStateMessages(prefix: string, camera: CameraFacts): MqttMessage[] {
  const t = topicsOf(prefix);
  const onOff = (on: boolean) => (on ? "ON" : "OFF");
  return [
    { topic: t.state(camera.id), payload: camera.stream, retain: true, qos: 1 },
    {
      topic: t.switchState(camera.id, "analytics"),
      payload: onOff(camera.analytics),
      retain: true,
      qos: 1,
    },
    {
      topic: t.switchState(camera.id, "recording"),
      payload: onOff(camera.recording),
      retain: true,
      qos: 1,
    },
  ];
}

/** Options of {@linkcode discoveryMessages}. */
export interface DiscoveryOptions {
  prefix: string;
  discoveryPrefix: string;
  /** Whether the analytics and recording switches are offered. */
  commands: boolean;
}

const objectId = (camera: string) => `vigil_${camera.replaceAll("-", "")}`;

/**
 * A camera's Home Assistant discovery configs (retained): an occupancy binary sensor, a count
 * sensor per label (its slug in the topic and ids, the label itself in the name), the camera's
 * state, and with commands on the two switches.
 *
 * @param options prefixes and commands
 * @param camera the camera
 * @returns the config messages
 */
export function discoveryMessages(options: DiscoveryOptions, camera: CameraFacts): MqttMessage[] {
  const t = topicsOf(options.prefix);
  const node = objectId(camera.id);
  const base = {
    availability_topic: t.available,
    device: { identifiers: [node], name: camera.name, manufacturer: "Vigil", model: "camera" },
  };
  const config = (component: string, id: string, body: Record<string, unknown>): MqttMessage => ({
    topic: `${options.discoveryPrefix}/${component}/${node}/${id}/config`,
    payload: JSON.stringify({
      ...base,
      unique_id: `${node}_${id}`,
      object_id: `${node}_${id}`,
      ...body,
    }),
    retain: true,
    qos: 1,
  });
  const levels = labelLevels(camera.labels);
  const messages = [
    config("binary_sensor", "occupancy", {
      name: "Occupancy",
      device_class: "occupancy",
      state_topic: t.all(camera.id),
      value_template: "{{ 'ON' if value | int > 0 else 'OFF' }}",
    }),
    config("sensor", "state", { name: "Stream", state_topic: t.state(camera.id) }),
    ...camera.labels.map((label) =>
      config("sensor", `${levels.get(label)}_count`, {
        name: `${label} count`,
        state_topic: t.count(camera.id, levels.get(label)!),
        state_class: "measurement",
      })
    ),
  ];
  if (options.commands) {
    for (const name of SWITCHES) {
      messages.push(config("switch", name, {
        name: name === "analytics" ? "Analytics" : "Recording",
        state_topic: t.switchState(camera.id, name),
        command_topic: t.switchSet(camera.id, name),
        payload_on: "ON",
        payload_off: "OFF",
      }));
    }
  }
  return messages;
}

/**
 * Empty retained payloads that make Home Assistant forget a config (a deleted camera, a label
 * gone).
 *
 * @param configs the configs published before
 * @returns their removals
 */
export function removals(configs: readonly MqttMessage[]): MqttMessage[] {
  return configs.map((m) => ({ ...m, payload: "" }));
}

/**
 * Parses a command: `<prefix>/<camera>/<switch>/set` with `ON` or `OFF`.
 *
 * @param prefix topic prefix
 * @param topic the topic it came on
 * @param payload its payload
 * @returns the command, or undefined for anything else
 */
export function parseCommand(
  prefix: string,
  topic: string,
  payload: string,
): { camera: string; name: SwitchName; on: boolean } | undefined {
  const parts = topic.split("/");
  if (parts.length !== 4 || parts[0] !== prefix || parts[3] !== "set") return undefined;
  // Only an id reaches the database.
  if (!isUuid(parts[1])) return undefined;
  const name = SWITCHES.find((s) => s === parts[2]);
  const value = payload.trim().toUpperCase();
  if (!name || !["ON", "OFF"].includes(value)) return undefined;
  return { camera: parts[1].toLowerCase(), name, on: value === "ON" };
}
