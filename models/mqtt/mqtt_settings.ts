/**
 * MQTT configuration from the environment (`VIGIL_MQTT_*`, read by models/config.ts): where the
 * broker is, the topic prefixes, and whether commands are accepted. The broker URL's credentials
 * are split off here so that nothing downstream holds them in a string that could be logged.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** MQTT settings, after validation. */
export interface MqttSettings {
  /** `mqtt://host:port` or `mqtts://host:port`, without credentials. */
  url: string;
  /** From the URL's userinfo, percent-decoded. */
  username: string | undefined;
  /** From the URL's userinfo, percent-decoded. Never logged or published. */
  password: string | undefined;
  /** `VIGIL_MQTT_PREFIX` (default `vigil`): the first level of every topic Vigil publishes. */
  prefix: string;
  /** `VIGIL_MQTT_DISCOVERY_PREFIX` (default `homeassistant`). */
  discoveryPrefix: string;
  /** `VIGIL_MQTT_COMMANDS` on/off (default off): the analytics and recording switches act. */
  commands: boolean;
}

type Env = Record<string, string | undefined>;

/** A topic level Vigil publishes under: no wildcards, no separators, nothing to escape. */
const TOPIC_LEVEL = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads the MQTT settings; absent `VIGIL_MQTT_URL` means no MQTT.
 *
 * @param env the environment
 * @returns the settings, or undefined when MQTT is off
 * @throws {ValidationError} naming the variable (never echoing the URL: it may hold a password)
 * @example
 * ```ts
 * mqttSettingsFromEnv({ VIGIL_MQTT_URL: "mqtt://vigil:s%40cret@127.0.0.1:1883" })!.password;
 * // "s@cret"
 * ```
 */
export function mqttSettingsFromEnv(env: Env): MqttSettings | undefined {
  const raw = env.VIGIL_MQTT_URL;
  if (raw === undefined || raw === "") return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (
    !url || !["mqtt:", "mqtts:"].includes(url.protocol) || url.hostname === "" ||
    !["", "/"].includes(url.pathname) || url.search !== "" || url.hash !== ""
  ) {
    throw new ValidationError(
      "config: VIGIL_MQTT_URL must be mqtt://[user:password@]host[:port] or mqtts://…, " +
        "credentials percent-encoded",
      "VIGIL_MQTT_URL",
    );
  }
  const decode = (part: string) => {
    try {
      return part === "" ? undefined : decodeURIComponent(part);
    } catch {
      throw new ValidationError(
        "config: VIGIL_MQTT_URL has a badly percent-encoded user or password",
        "VIGIL_MQTT_URL",
      );
    }
  };
  const level = (name: string, fallback: string) => {
    const value = env[name] || fallback;
    if (!TOPIC_LEVEL.test(value)) {
      throw new ValidationError(
        `config: ${name} must be 1 to 64 of A-Z a-z 0-9 _ -: current value is ` +
          JSON.stringify(value),
        name,
      );
    }
    return value;
  };
  const commands = env.VIGIL_MQTT_COMMANDS || "off";
  if (!["on", "off"].includes(commands.toLowerCase())) {
    throw new ValidationError(
      `config: VIGIL_MQTT_COMMANDS must be one of on, off: current value is ${
        JSON.stringify(commands)
      }`,
      "VIGIL_MQTT_COMMANDS",
    );
  }
  return {
    url: `${url.protocol}//${url.host}`,
    username: decode(url.username),
    password: decode(url.password),
    prefix: level("VIGIL_MQTT_PREFIX", "vigil"),
    discoveryPrefix: level("VIGIL_MQTT_DISCOVERY_PREFIX", "homeassistant"),
    commands: commands.toLowerCase() === "on",
  };
}
