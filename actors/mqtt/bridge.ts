/**
 * The MQTT bridge: publishes the event feed, per-label counts, camera states and Home Assistant
 * discovery to a broker (topics in models/mqtt/topics.ts), keeps `<prefix>/available` `online`
 * (retained) with `offline` as the connection's last will, and with commands on obeys the
 * analytics and recording switches. A broker that is down or slow never blocks capture or
 * analysis: feed messages go through a bounded {@linkcode Outbox} (the oldest dropped and counted),
 * retained state is kept as "latest per topic" and sent again on every connect, at most
 * {@linkcode MAX_IN_FLIGHT} writes wait on the socket, and the connection comes back with backoff.
 * Why so: docs/decisions/mqtt-and-feed-resume.md.
 *
 * @module
 */
import { connect, type MqttClient } from "mqtt";
import type { EventBus } from "../../models/event_bus.ts";
import type { FeedMessage } from "../camera/event_recorder.ts";
import type { MqttSettings } from "../../models/mqtt/mqtt_settings.ts";
import {
  cameraStateMessages,
  discoveryMessages,
  eventMessage,
  type MqttEvent,
  mqttEvent,
  type MqttMessage,
  parseCommand,
  removals,
  topicsOf,
} from "../../models/mqtt/topics.ts";
import { labelLevels } from "../../models/mqtt/label_levels.ts";
import { Occupancy } from "../../models/mqtt/occupancy.ts";
import { Outbox } from "../../models/mqtt/outbox.ts";
import { backoffDelay } from "../../models/backoff.ts";
import { createLogger } from "../../models/log.ts";
import { settlesWithin } from "../../models/timeout.ts";
import type { CameraLink } from "./camera_link.ts";

/** Feed messages waiting for the broker at most (the oldest are dropped beyond). */
export const OUTBOX_CAPACITY = 1000;
/** Publishes handed to the socket and not yet written, at most. */
export const MAX_IN_FLIGHT = 64;
/** How often camera states and discovery are compared with what was published. */
export const STATE_POLL_MS = 2000;
/** Reconnect backoff: first delay and cap. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/**
 * A connection counts as good, and the backoff starts over, only once it has stayed up this long:
 * a broker that accepts and then drops the client (a rejected publish, an ACL) is otherwise
 * redialled at the first delay forever.
 */
export const STABLE_CONNECTION_MS = 5000;
/** A stop waits this long for `offline` to be acknowledged, and then for the disconnect. */
export const STOP_MS = 1000;
/** Open events remembered for `before` at most. */
const MAX_REMEMBERED = 10_000;

/** Numbers for `/metrics`. */
export interface MqttStats {
  connected: boolean;
  /** Messages written to the broker's connection. */
  published: number;
  /** Feed messages dropped because the broker was down or slow too long. */
  dropped: number;
  /** Feed messages waiting. */
  queued: number;
}

/** What the bridge needs. */
export interface MqttBridgeOptions {
  settings: MqttSettings;
  bus: EventBus<FeedMessage>;
  cameras: CameraLink;
  /** Base of snapshot URLs (`VIGIL_PUBLIC_URL`), or "" for paths. */
  baseUrl: string;
  /** The MQTT client id (stable per box, so the broker replaces a stale session). */
  clientId: string;
  /** Feed messages kept while the broker is away (default {@linkcode OUTBOX_CAPACITY}). */
  outboxCapacity?: number;
  /** Default {@linkcode STATE_POLL_MS}. */
  statePollMs?: number;
  /** Default {@linkcode STABLE_CONNECTION_MS}. */
  stableConnectionMs?: number;
}

/** A running bridge. */
export interface MqttBridge {
  stats(): MqttStats;
  /** Publishes `offline`, disconnects and stops; never throws. */
  stop(): Promise<void>;
}

/**
 * Starts the bridge; it connects in the background and never fails the caller.
 *
 * @param options settings, feed, cameras
 * @returns the bridge
 */
export function startMqttBridge(options: MqttBridgeOptions): MqttBridge {
  const { settings, bus } = options;
  const log = createLogger("mqtt", { broker: settings.url });
  const topics = topicsOf(settings.prefix);
  const outbox = new Outbox<MqttMessage>(options.outboxCapacity ?? OUTBOX_CAPACITY);
  const occupancy = new Occupancy();
  /** Retained state: the latest message per topic; sent again on every connect. */
  const retained = new Map<string, MqttMessage>();
  const dirty = new Set<string>();
  /** Discovery config topics per camera, so a deleted camera's can be removed. */
  const configs = new Map<string, MqttMessage[]>();
  const lastSeen = new Map<string, MqttEvent>();
  /** Each camera's labels as of the last refresh, so a count's level agrees with discovery's. */
  const cameraLabels = new Map<string, readonly string[]>();
  const levelsOf = (camera: string) =>
    labelLevels([...cameraLabels.get(camera) ?? [], ...occupancy.counts(camera).keys()]);
  let connected = false;
  let stopped = false;
  let inFlight = 0;
  let generation = 0;
  let published = 0;
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let stableTimer: ReturnType<typeof setTimeout> | undefined;

  const client: MqttClient = connect(settings.url, {
    clientId: options.clientId,
    username: settings.username,
    password: settings.password,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    queueQoSZero: false,
    will: { topic: topics.available, payload: "offline", qos: 1, retain: true },
  });

  const write = (message: MqttMessage) => {
    inFlight++;
    published++;
    const mine = generation;
    client.publish(
      message.topic,
      message.payload,
      { qos: message.qos, retain: message.retain },
      () => {
        if (mine !== generation) return;
        inFlight--;
        pump();
      },
    );
  };

  /** Sends what waits, retained state first, while the connection takes more. */
  const pump = () => {
    while (connected && inFlight < MAX_IN_FLIGHT) {
      const topic = dirty.values().next().value;
      if (topic !== undefined) {
        dirty.delete(topic);
        const message = retained.get(topic);
        if (message) write(message);
        continue;
      }
      const message = outbox.shift();
      if (!message) return;
      write(message);
    }
  };

  const setRetained = (message: MqttMessage) => {
    if (retained.get(message.topic)?.payload === message.payload) return;
    retained.set(message.topic, message);
    dirty.add(message.topic);
  };

  const setCount = (topic: string, count: number) =>
    setRetained({ topic, payload: String(count), retain: true, qos: 1 });

  const unsubscribe = bus.subscribe(({ action, event }) => {
    const after = mqttEvent(event, options.baseUrl);
    const before = lastSeen.get(event.id) ?? null;
    if (action === "close") lastSeen.delete(event.id);
    else {
      if (lastSeen.size >= MAX_REMEMBERED) lastSeen.delete(lastSeen.keys().next().value!);
      lastSeen.set(event.id, after);
    }
    outbox.push(eventMessage(settings.prefix, action, before, after));
    // The label's count, then the camera's total (a label may itself be called `all`).
    const [own, total] = occupancy.apply(action, event);
    if (own && total) {
      setCount(topics.count(own.camera, levelsOf(own.camera).get(own.label)!), own.count);
      setCount(topics.all(total.camera), total.count);
    }
    pump();
  });

  const refresh = async () => {
    let cameras;
    try {
      cameras = await options.cameras.facts();
    } catch (error) {
      log.warn("reading the cameras failed", { error });
      return;
    }
    const seen = new Set<string>();
    for (const camera of cameras) {
      seen.add(camera.id);
      const counts = occupancy.counts(camera.id);
      const labels = [...new Set([...camera.labels, ...counts.keys()])].sort();
      cameraLabels.set(camera.id, labels);
      const levels = labelLevels(labels);
      const config = discoveryMessages(settings, { ...camera, labels });
      const gone = (configs.get(camera.id) ?? []).filter((old) =>
        !config.some((m) => m.topic === old.topic)
      );
      for (
        const message of [
          ...removals(gone),
          ...config,
          ...cameraStateMessages(settings.prefix, camera),
        ]
      ) {
        setRetained(message);
      }
      configs.set(camera.id, config);
      // Every time, not only for new topics: a new look-alike label can move an old one's level.
      for (const label of labels) {
        setCount(topics.count(camera.id, levels.get(label)!), counts.get(label) ?? 0);
      }
      setCount(topics.all(camera.id), occupancy.total(camera.id));
    }
    for (const [id, old] of configs) {
      if (seen.has(id)) continue;
      cameraLabels.delete(id);
      for (const message of removals(old)) setRetained(message);
      configs.delete(id);
    }
    pump();
  };
  let refreshing = Promise.resolve();
  let refreshesPending = 0;
  const refreshSoon = () => {
    refreshesPending++;
    refreshing = refreshing.then(refresh).finally(() => refreshesPending--);
    return refreshing;
  };
  // A tick while a refresh waits (a stalled database) is skipped rather than queued behind it.
  const poller = setInterval(() => {
    if (refreshesPending === 0) refreshSoon();
  }, options.statePollMs ?? STATE_POLL_MS);
  refreshSoon();

  client.on("connect", () => {
    connected = true;
    clearTimeout(stableTimer);
    stableTimer = setTimeout(() => {
      failures = 0;
    }, options.stableConnectionMs ?? STABLE_CONNECTION_MS);
    log.info("connected");
    setRetained({ topic: topics.available, payload: "online", retain: true, qos: 1 });
    // A new session: the broker may have lost anything retained since (a restart without
    // persistence), so everything is sent again.
    for (const topic of retained.keys()) dirty.add(topic);
    if (settings.commands) client.subscribe(topics.allSets, { qos: 1 });
    pump();
  });
  client.on("message", (topic, payload) => {
    const command = parseCommand(settings.prefix, topic, payload.toString());
    if (!command) return;
    log.info("command", { camera: command.camera, switch: command.name, on: command.on });
    options.cameras.command(command.camera, command.name, command.on).then(
      () => refreshSoon(),
      (error) => log.warn("command failed", { camera: command.camera, error }),
    );
  });
  client.on("error", (error) => log.debug("connection error", { error }));
  client.on("close", () => {
    if (connected && !stopped) log.warn("disconnected");
    connected = false;
    clearTimeout(stableTimer);
    // Writes handed to the old connection will not report back: start counting afresh.
    generation++;
    inFlight = 0;
    if (stopped) return;
    failures++;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(() => {
      if (!stopped) client.reconnect();
    }, backoffDelay(failures, { baseMs: RECONNECT_BASE_MS, maxMs: RECONNECT_MAX_MS }));
  });

  return {
    stats: () => ({ connected, published, dropped: outbox.dropped, queued: outbox.size }),
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      clearInterval(poller);
      clearTimeout(reconnectTimer);
      clearTimeout(stableTimer);
      await refreshing.catch(() => {});
      // A clean stop says `offline` itself; the will covers a killed process.
      if (connected) {
        const sent = client.publishAsync(topics.available, "offline", { qos: 1, retain: true });
        if (!(await settlesWithin(sent, STOP_MS))) log.warn("publishing offline timed out");
      }
      await settlesWithin(client.endAsync(!connected), STOP_MS);
    },
  };
}
