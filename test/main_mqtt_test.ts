/**
 * Issue 24, MQTT: the real server process, a real Mosquitto with password auth, a real RTSP
 * camera and a tiny model that finds a person in every frame. Events reach `<prefix>/events`,
 * Home Assistant discovery configs are retained with `unique_id`s, `available` says `online` and
 * — through the last will — `offline` after a SIGKILL; no secret or token is ever published; and
 * with commands on, `analytics/set OFF` detaches analytics like the admin API.
 */
import assert from "node:assert/strict";
import { connectAsync, type MqttClient } from "mqtt";
import { startServer } from "./support/server_process.ts";
import { startRtspServer, waitFor } from "./support/rtsp.ts";
import { TINY_MODEL, tinyModelsDir } from "./support/tiny_models.ts";
import { type Mosquitto, startMosquitto } from "./support/mosquitto.ts";

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A client that records every message under `filters`. */
async function listen(broker: Mosquitto, filters: string[]) {
  const client: MqttClient = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    username: broker.username,
    password: broker.password,
    reconnectPeriod: 0,
  });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync(filters);
  return { client, messages };
}

/** The retained value of a topic, read by a fresh subscriber. */
async function retainedValue(broker: Mosquitto, topic: string): Promise<string | undefined> {
  const { client, messages } = await listen(broker, [topic]);
  try {
    await waitFor(() => messages.length > 0, 2000, topic).catch(() => {});
    return messages.at(-1)?.payload;
  } finally {
    await client.endAsync();
  }
}

Deno.test({
  name: "MQTT: events, retained discovery, online and offline on SIGKILL, commands, no secrets",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "vigil-mqtt-" });
    const modelsDir = await tinyModelsDir();
    const broker = await startMosquitto();
    const camera = await startRtspServer({ width: 320, height: 180, fps: 10 });
    const watcher = await listen(broker, ["#"]);
    const server = await startServer({
      VIGIL_DATA_DIR: dataDir,
      VIGIL_MODELS_DIR: modelsDir,
      VIGIL_MQTT_URL: broker.url,
      VIGIL_MQTT_COMMANDS: "on",
      VIGIL_PUBLIC_URL: "http://box.example:8080",
    });
    let killed = false;
    try {
      const token = (await Deno.readTextFile(`${dataDir}/admin-token`)).trim();
      const call = async (method: string, path: string, body?: unknown) => {
        const reply = await fetch(`${server.base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        assert.ok(reply.ok, `${method} ${path}: ${reply.status} ${await reply.clone().text()}`);
        return reply.status === 204 ? undefined : await reply.json();
      };
      const { id } = await call("POST", "/api/cameras", { name: "door", rtspUrl: camera.url });
      await call("PUT", `/api/cameras/${id}/analytics`, {
        detector: TINY_MODEL,
        fps: 5,
        classes: ["person"],
        rules: { minMotion: 0, confirmFrames: 2 },
      });

      // Events under the prefix, in Frigate's shape, with the snapshot as a URL.
      const events = () =>
        watcher.messages.filter((m) => m.topic === "vigil/events").map((m) =>
          JSON.parse(m.payload)
        );
      // Any kind goes through (an `offline` event may come first, while the camera connects).
      const isPerson = (e: { type: string; after: { kind: string } }) =>
        e.type === "new" && e.after.kind === "object";
      await waitFor(() => events().some(isPerson), 60_000, "a new object event");
      const opened = events().find(isPerson)!;
      assert.equal(opened.after.camera, id);
      assert.equal(opened.after.label, "person");
      assert.equal(opened.after.kind, "object");
      assert.deepEqual(opened.before, opened.after);
      if (opened.after.snapshot !== null) {
        assert.equal(
          opened.after.snapshot,
          `http://box.example:8080/api/events/${opened.after.id}/snapshot.jpg`,
        );
      }
      await waitFor(
        () => watcher.messages.some((m) => m.topic === `vigil/${id}/person` && m.payload === "1"),
        10_000,
        "the person count",
      );
      await waitFor(
        () => watcher.messages.some((m) => m.topic === `vigil/${id}/state` && m.payload === "live"),
        10_000,
        "the camera state",
      );

      // Discovery: retained, so a subscriber arriving now gets every config.
      const ha = await listen(broker, ["homeassistant/#"]);
      await waitFor(() => ha.messages.length >= 5, 5000, "retained discovery configs");
      await ha.client.endAsync();
      const node = `vigil_${id.replaceAll("-", "")}`;
      const configs = new Map(ha.messages.map((m) => [m.topic, m]));
      for (
        const topic of [
          `homeassistant/binary_sensor/${node}/occupancy/config`,
          `homeassistant/sensor/${node}/person_count/config`,
          `homeassistant/sensor/${node}/state/config`,
          `homeassistant/switch/${node}/analytics/config`,
          `homeassistant/switch/${node}/recording/config`,
        ]
      ) {
        const message = configs.get(topic);
        assert.ok(message, `${topic} is published`);
        assert.ok(message.retain, `${topic} is retained`);
        const config = JSON.parse(message.payload);
        assert.match(config.unique_id, new RegExp(`^${node}_`));
        assert.equal(config.availability_topic, "vigil/available");
        assert.equal(config.device.name, "door");
      }
      assert.equal(await retainedValue(broker, "vigil/available"), "online");

      // Commands: OFF detaches analytics, as DELETE /api/cameras/{id}/analytics does.
      watcher.client.publish(`vigil/${id}/analytics/set`, "OFF");
      await waitFor(
        () =>
          watcher.messages.some((m) =>
            m.topic === `vigil/${id}/analytics/state` && m.payload === "OFF"
          ),
        15_000,
        "analytics/state OFF",
      );
      const status = await call("GET", `/api/cameras/${id}`);
      assert.equal(status.state.analytics, "detached");

      // No secret anywhere: not the broker's password, not a token, not a camera password.
      const secrets = [broker.password, encodeURIComponent(broker.password), token, "vgl_"];
      for (const message of [...watcher.messages, ...ha.messages]) {
        for (const secret of secrets) {
          assert.ok(!message.payload.includes(secret), `${message.topic} carries a secret`);
        }
      }
      for (const line of server.lines) {
        assert.ok(!line.includes(broker.password), "a log line carries the broker password");
        assert.ok(!line.includes(encodeURIComponent(broker.password)), "a log line: password");
      }

      // A killed box: the broker publishes the last will.
      await server.stop("SIGKILL");
      killed = true;
      assert.equal(await retainedValue(broker, "vigil/available"), "offline");
    } finally {
      if (!killed) await server.stop();
      await watcher.client.endAsync();
      await camera.stop();
      await broker.close();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(modelsDir, { recursive: true });
    }
  },
});

Deno.test("the server exits with code 2 on a bad VIGIL_MQTT_URL or VIGIL_CORS_ORIGINS, echoing no password", async () => {
  for (
    const [env, name] of [
      [{ VIGIL_MQTT_URL: "http://vigil:hunter2@broker" }, "VIGIL_MQTT_URL"],
      [{ VIGIL_CORS_ORIGINS: "*" }, "VIGIL_CORS_ORIGINS"],
    ] as const
  ) {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 2, text);
    assert.match(text, new RegExp(name));
    assert.ok(!text.includes("hunter2"), text);
  }
});
