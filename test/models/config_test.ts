import assert from "node:assert/strict";
import { DEFAULT_MODELS_DIR, loadConfig } from "../../models/config.ts";
import { ValidationError } from "../../models/errors.ts";

Deno.test("loadConfig() uses the documented defaults for an empty environment", () => {
  assert.deepEqual(loadConfig({}), {
    port: 8080,
    host: "0.0.0.0",
    dataDir: "./data",
    databaseUrl: undefined,
    modelsDir: DEFAULT_MODELS_DIR,
    auth: true,
    boxCapacity: 16,
    logLevel: "info",
    discoveryIntervalS: 0,
    detectionRetentionDays: 7,
    eventRetentionDays: 30,
    segmentSeconds: 10,
    recordingsMinFree: { percent: 5 },
    recordingsMaxSize: undefined,
    compileConcurrency: 1,
    recordRetentionDays: 30,
    rtspPort: 8554,
    rtspHost: "0.0.0.0",
    hubIdleS: 10,
    rtspMaxReaders: 128,
    rtspMaxReadersPerPath: 32,
    metricsAddr: undefined,
    publicUrl: undefined,
    corsOrigins: [],
    mqtt: undefined,
    live: { idleS: 30, maxTranscodes: 2, maxSessions: 32, sessionsPerToken: 8, pushAllow: [] },
  });
});

Deno.test("loadConfig() reads the live settings and the public URL", () => {
  const config = loadConfig({
    VIGIL_PUBLIC_URL: "https://box.lan:8443/",
    VIGIL_LIVE_IDLE_S: "10",
    VIGIL_LIVE_MAX_TRANSCODES: "0",
    VIGIL_LIVE_MAX_SESSIONS: "4",
  });
  assert.equal(config.publicUrl, "https://box.lan:8443");
  assert.deepEqual(config.live, {
    idleS: 10,
    maxTranscodes: 0,
    maxSessions: 4,
    sessionsPerToken: 4,
    pushAllow: [],
  });
});

Deno.test("loadConfig() reads the per-token session quota and the push allow list, and names a bad one", () => {
  const config = loadConfig({
    VIGIL_LIVE_SESSIONS_PER_TOKEN: "3",
    VIGIL_PUSH_ALLOW: "media.lan,127.0.0.1:8554",
  });
  assert.equal(config.live.sessionsPerToken, 3);
  assert.deepEqual(config.live.pushAllow, [
    { host: "media.lan", port: null },
    { host: "127.0.0.1", port: 8554 },
  ]);
  const bad: [Record<string, string>, RegExp][] = [
    [{ VIGIL_LIVE_SESSIONS_PER_TOKEN: "0" }, /VIGIL_LIVE_SESSIONS_PER_TOKEN must be an integer/],
    [
      { VIGIL_LIVE_MAX_SESSIONS: "4", VIGIL_LIVE_SESSIONS_PER_TOKEN: "5" },
      /VIGIL_LIVE_SESSIONS_PER_TOKEN must be an integer from 1 to 4/,
    ],
    [{ VIGIL_PUSH_ALLOW: "rtsp://media.lan" }, /VIGIL_PUSH_ALLOW must be/],
  ];
  for (const [env, message] of bad) {
    assert.throws(
      () => loadConfig(env),
      (e) => e instanceof ValidationError && message.test(e.message),
    );
  }
});

Deno.test("loadConfig() reads the relay's variables; its host follows VIGIL_HOST unless set", () => {
  assert.equal(loadConfig({ VIGIL_HOST: "10.0.0.2" }).rtspHost, "10.0.0.2");
  const config = loadConfig({
    VIGIL_HOST: "10.0.0.2",
    VIGIL_RTSP_HOST: "127.0.0.1",
    VIGIL_RTSP_PORT: "0",
    VIGIL_HUB_IDLE_S: "30",
    VIGIL_RTSP_MAX_READERS: "10",
    VIGIL_RTSP_MAX_READERS_PER_PATH: "2",
  });
  assert.deepEqual(
    [config.rtspHost, config.rtspPort, config.hubIdleS, config.rtspMaxReaders],
    ["127.0.0.1", 0, 30, 10],
  );
  assert.equal(config.rtspMaxReadersPerPath, 2);
});

Deno.test("loadConfig() reads VIGIL_METRICS_ADDR as host:port", () => {
  const cases: [string, { hostname: string; port: number }][] = [
    ["127.0.0.1:9464", { hostname: "127.0.0.1", port: 9464 }],
    [":9464", { hostname: "0.0.0.0", port: 9464 }],
    ["[::1]:9464", { hostname: "::1", port: 9464 }],
    ["metrics.lan:0", { hostname: "metrics.lan", port: 0 }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(loadConfig({ VIGIL_METRICS_ADDR: raw }).metricsAddr, expected, raw);
  }
});

Deno.test("loadConfig() reads the recording variables", () => {
  const config = loadConfig({
    VIGIL_SEGMENT_SECONDS: "6",
    VIGIL_RECORDINGS_MIN_FREE: "20GB",
    VIGIL_RECORDINGS_MAX_SIZE: "500GiB",
    VIGIL_COMPILE_CONCURRENCY: "2",
    VIGIL_RECORD_RETENTION_DAYS: "90",
  });
  assert.equal(config.segmentSeconds, 6);
  assert.deepEqual(config.recordingsMinFree, { bytes: 20e9 });
  assert.equal(config.recordingsMaxSize, 500 * 1024 ** 3);
  assert.equal(config.compileConcurrency, 2);
  assert.equal(config.recordRetentionDays, 90);
});

Deno.test("loadConfig() reads every variable", () => {
  const config = loadConfig({
    VIGIL_PORT: "9000",
    VIGIL_HOST: "127.0.0.1",
    VIGIL_DATA_DIR: "/var/lib/vigil",
    DATABASE_URL: "postgres://u:p@db:5432/vigil",
    VIGIL_AUTH: "off",
    VIGIL_LOG: "debug",
  });
  assert.equal(config.port, 9000);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.dataDir, "/var/lib/vigil");
  assert.equal(config.databaseUrl, "postgres://u:p@db:5432/vigil");
  assert.equal(config.auth, false);
  assert.equal(config.logLevel, "debug");
});

Deno.test("loadConfig() rejects bad values naming the variable", async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["a port that is not a number", { VIGIL_PORT: "http" }, /VIGIL_PORT must be an integer/],
    ["a port out of range", { VIGIL_PORT: "70000" }, /VIGIL_PORT/],
    ["a negative port", { VIGIL_PORT: "-1" }, /VIGIL_PORT/],
    [
      "auth that is neither on nor off",
      { VIGIL_AUTH: "maybe" },
      /VIGIL_AUTH must be one of on, off/,
    ],
    ["an unknown log level", { VIGIL_LOG: "loud" }, /VIGIL_LOG/],
    ["a host with a space", { VIGIL_HOST: "a b" }, /VIGIL_HOST/],
    ["a database URL of another scheme", { DATABASE_URL: "mysql://x" }, /DATABASE_URL/],
    ["an empty data dir", { VIGIL_DATA_DIR: " " }, /VIGIL_DATA_DIR/],
    ["zero retention days", { VIGIL_DETECTION_RETENTION_DAYS: "0" }, /RETENTION_DAYS/],
    ["one-second segments", { VIGIL_SEGMENT_SECONDS: "1" }, /VIGIL_SEGMENT_SECONDS/],
    ["a free space of 100%", { VIGIL_RECORDINGS_MIN_FREE: "100%" }, /VIGIL_RECORDINGS_MIN_FREE/],
    ["a quota without a size", { VIGIL_RECORDINGS_MAX_SIZE: "lots" }, /VIGIL_RECORDINGS_MAX_SIZE/],
    ["no compile at all", { VIGIL_COMPILE_CONCURRENCY: "0" }, /VIGIL_COMPILE_CONCURRENCY/],
    ["an RTSP port out of range", { VIGIL_RTSP_PORT: "65536" }, /VIGIL_RTSP_PORT/],
    ["an RTSP host with a slash", { VIGIL_RTSP_HOST: "a/b" }, /VIGIL_RTSP_HOST/],
    ["no relay readers at all", { VIGIL_RTSP_MAX_READERS: "0" }, /VIGIL_RTSP_MAX_READERS/],
    ["a metrics address without a port", { VIGIL_METRICS_ADDR: "127.0.0.1" }, /METRICS_ADDR/],
    ["a metrics port out of range", { VIGIL_METRICS_ADDR: ":70000" }, /METRICS_ADDR/],
    ["a metrics address with a path", { VIGIL_METRICS_ADDR: "a:1/x" }, /METRICS_ADDR/],
    ["a public URL with a path", { VIGIL_PUBLIC_URL: "http://box/vigil" }, /VIGIL_PUBLIC_URL/],
    ["a public URL of another scheme", { VIGIL_PUBLIC_URL: "rtsp://box" }, /VIGIL_PUBLIC_URL/],
    ["a live idle timeout under 5 s", { VIGIL_LIVE_IDLE_S: "1" }, /VIGIL_LIVE_IDLE_S/],
  ];
  for (const [name, env, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("loadConfig() never echoes a bad DATABASE_URL, which may hold a password", () => {
  assert.throws(() => loadConfig({ DATABASE_URL: "mysql://root:hunter2@db" }), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.doesNotMatch(error.message, /hunter2/);
    return true;
  });
});
