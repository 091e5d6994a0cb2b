/**
 * Issue 17, fuzzing: property-based tests over every route of the real app on the embedded
 * database — random and mutated bodies, parameters, headers, ids and oversized inputs. For every
 * request: no 5xx, no unhandled rejection, and a refused request (4xx) stores nothing.
 *
 * Valid requests do real work (cameras are added, captures start, ONVIF onboarding connects), and
 * a mutated URL may name any host: so the fuzzing runs inside a network namespace made for it,
 * where only `lo` exists and nothing can leave the box. The outer test re-runs this file there.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { openTestDatabase, type TestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { NETNS_ENV, runTestInNetworkNamespace } from "../support/onvif.ts";
import { TINY_MODEL, tinyModelsDir } from "../support/tiny_models.ts";
import {
  bodyArb,
  encode,
  type FuzzRequest,
  headersArb,
  idArb,
  queryArb,
  storedState,
} from "../support/fuzz.ts";
import { uuidv7 } from "../../models/ids.ts";
import { createHash } from "node:crypto";

/** Cases per route; routes whose valid requests start processes get fewer. */
const RUNS = 1000;
const SLOW_RUNS = 150;

interface RouteFuzz {
  /** Valid JSON bodies (mutated by the fuzzer); empty when the route takes no body. */
  bodies?: Record<string, unknown>[];
  /** Plausible values per query parameter. */
  query?: Record<string, string[]>;
  /** Which ids a `{id}` (or the console's `{file}`) in the path takes. */
  ids?: "cameras" | "events" | "tokens" | "devices" | "files" | "records";
  runs?: number;
}

const ISO = ["2026-11-25T14:00:00Z", "2026-11-25T14:00:00.123+01:00", "2030-01-01T00:00:00Z"];
const SERIES = {
  camera: [] as string[],
  label: ["person", "car", "Person", "a b"],
  from: ISO,
  to: ISO,
  limit: ["1", "100", "1000", "1001", "0", "-5", "1.5"],
  cursor: ["1764000000000000_01a22474-2b3c-7000-8000-000000000000", "x"],
  kind: ["object", "zone", "offline", "onvif", "nope"],
};
const ANALYTICS = {
  detector: TINY_MODEL,
  fps: 2,
  classes: ["person"],
  minScore: 0.5,
  zones: [{ name: "door", polygon: [[0, 0], [0.5, 0], [0.5, 1]], loiterSeconds: 5 }],
  masks: [{ polygon: [[0.6, 0.6], [1, 0.6], [1, 1]] }],
  lines: [{ name: "gate", a: [0.1, 0.5], b: [0.9, 0.5] }],
  rules: { confirmFrames: 2, leaveAfterMs: 1000, motionThreshold: 20, minMotion: 0.01 },
  webhook: { url: "http://127.0.0.1:9/hook", events: ["object"] },
};

/** Every documented route and how to fuzz it; a route missing here fails the test. */
const ROUTES: Record<string, RouteFuzz> = {
  "GET /api/health": {},
  "GET /api/openapi.json": {},
  "GET /api/docs": {},
  "GET /api/docs/docs.js": {},
  "GET /api/docs/docs.css": {},
  "GET /metrics": {},
  "GET /": {},
  "GET /console/{file}": { ids: "files" },
  "POST /api/cameras": {
    bodies: [
      { name: "gate", rtspUrl: "rtsp://user:pw@127.0.0.1:9/s", transport: "udp" },
      { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/main", analysisUrl: "rtsp://127.0.0.1:9/sub" },
      { name: "door", onvif: { host: "127.0.0.1", port: 9, username: "u", password: "p" } },
    ],
    runs: SLOW_RUNS,
  },
  "GET /api/cameras": { query: { limit: SERIES.limit } },
  "GET /api/cameras/{id}": { ids: "cameras" },
  "PATCH /api/cameras/{id}": {
    bodies: [
      { name: "renamed" },
      { rtspUrl: "rtsp://127.0.0.1:9/t" },
      { transport: "tcp" },
      { analysisUrl: "rtsp://127.0.0.1:9/sub" },
      { analysisUrl: null },
    ],
    ids: "cameras",
  },
  "DELETE /api/cameras/{id}": { ids: "cameras", runs: SLOW_RUNS },
  "POST /api/cameras/{id}/capture": {
    bodies: [{ action: "start" }, { action: "stop" }],
    ids: "cameras",
    runs: SLOW_RUNS,
  },
  // A valid request waits up to 5 s for a frame from a camera that never answers (through the
  // relay since the stream hub): few cases, or this one route would take minutes.
  "GET /api/cameras/{id}/snapshot.jpg": { ids: "cameras", runs: 15 },
  "GET /api/cameras/{id}/relay": { ids: "cameras" },
  // No camera here has a suspected move: valid requests answer 409, the rest 400/404.
  "POST /api/cameras/{id}/suspected-move/accept": { ids: "cameras" },
  "DELETE /api/cameras/{id}/suspected-move": { ids: "cameras" },
  "PUT /api/cameras/{id}/analytics": { bodies: [ANALYTICS, {}], ids: "cameras", runs: SLOW_RUNS },
  "GET /api/cameras/{id}/analytics": { ids: "cameras" },
  "DELETE /api/cameras/{id}/analytics": { ids: "cameras" },
  // No camera here was added over ONVIF: valid PTZ requests answer 409, the rest 400/404/422.
  "GET /api/cameras/{id}/ptz": { ids: "cameras" },
  "POST /api/cameras/{id}/ptz": {
    bodies: [
      { action: "move", pan: 0.5, tilt: -0.5, zoom: 0, timeoutMs: 1000 },
      { action: "stop" },
      { action: "goto", preset: "1" },
      { action: "home" },
    ],
    ids: "cameras",
  },
  "PUT /api/cameras/{id}/ptz/presets/{name}": { ids: "cameras" },
  "GET /api/cameras/{id}/onvif-events": { ids: "cameras" },
  "PUT /api/cameras/{id}/onvif-events": {
    bodies: [{ enabled: true, topics: ["tns1:VideoSource/MotionAlarm"] }, { enabled: false }],
    ids: "cameras",
  },
  "GET /api/events": { query: SERIES },
  "GET /api/events/stream": { query: SERIES, runs: SLOW_RUNS },
  "GET /api/events/{id}": { ids: "events" },
  "GET /api/events/{id}/snapshot.jpg": { ids: "events" },
  "GET /api/detections": { query: SERIES },
  "GET /api/detections/counts": { query: { bucket: ["5m", "1d"], label: ["person"] } },
  // Recording a camera that never answers: the recorder backs off; a stop finalizes at once.
  "PUT /api/cameras/{id}/recording": {
    bodies: [
      { mode: "continuous" },
      { mode: "events", preRollS: 2, postRollS: 2, events: { labels: ["person"] }, retainDays: 3 },
    ],
    ids: "cameras",
    runs: SLOW_RUNS,
  },
  "GET /api/cameras/{id}/recording": { ids: "cameras" },
  "DELETE /api/cameras/{id}/recording": { ids: "cameras", runs: SLOW_RUNS },
  "GET /api/cameras/{id}/recordings": { ids: "cameras", query: { from: ISO, to: ISO } },
  "POST /api/records": {
    bodies: [
      { camera: "01a22474-2b3c-7000-8000-000000000000", from: ISO[0]!, to: ISO[1]! },
      { event: "01a22474-2b3c-7000-8000-000000000001", annotated: true },
    ],
  },
  "GET /api/records": { query: { camera: SERIES.camera, limit: SERIES.limit } },
  "GET /api/records/{id}": { ids: "records" },
  "GET /api/records/{id}/file": { ids: "records" },
  "GET /api/records/{id}/verify": { ids: "records" },
  "DELETE /api/records/{id}": { ids: "records" },
  "PUT /api/events/{id}/keep": { bodies: [{ keep: true }, { keep: false }], ids: "events" },
  "GET /api/events/{id}/keep": { ids: "events" },
  "POST /api/tokens": {
    bodies: [
      { name: "fuzz", role: "viewer" },
      { name: "scoped", role: "media", cameras: ["01a22474-2b3c-7000-8000-000000000000"] },
    ],
  },
  "GET /api/tokens": {},
  "GET /api/me": {},
  "DELETE /api/tokens/{id}": { ids: "tokens" },
  // Live: no camera here answers, so an open that gets past validation fails upstream (503).
  "POST /api/live": {
    bodies: [
      { camera: "01a22474-2b3c-7000-8000-000000000000", quality: "720p", output: "hls" },
      {
        camera: "01a22474-2b3c-7000-8000-000000000000",
        quality: "source",
        output: "rtsp-push",
        target: "rtsp://127.0.0.1:9/media",
      },
      { camera: "01a22474-2b3c-7000-8000-000000000000", quality: "sub", annotated: true },
    ],
  },
  "GET /api/live": {},
  "GET /api/live/{id}": {},
  "PUT /api/live/{id}": { bodies: [{ quality: "360p" }, { quality: "source" }] },
  "DELETE /api/live/{id}": {},
  "GET /api/dispatch/{id}": { ids: "cameras" },
  "GET /api/boxes": {},
  // Box to box: the fuzzer holds no cluster credential, so every case is 400/401 and stores
  // nothing (test/routes/cluster_segments_test.ts covers the signed fetch).
  "GET /api/cluster/segments/{id}": {},
  "GET /live/{id}/index.m3u8": { query: { exp: ["9999999999", "1"], sig: ["x", "A".repeat(43)] } },
  "GET /live/{id}/mjpeg": { query: { exp: ["9999999999"], sig: ["A".repeat(43)] } },
  "GET /live/{id}/{segment}": {},
  "POST /api/discovery/scan": { bodies: [{ windowMs: 100 }, { interfaces: ["lo"] }] },
  "GET /api/discovery": {},
  "GET /api/discovery/{id}": { ids: "devices" },
  "POST /api/discovery/{id}/adopt": {
    bodies: [{ username: "admin", password: "pw", name: "adopted" }],
    ids: "devices",
  },
};

/** What the fuzzer knows exists, refreshed before each route. */
interface Known {
  cameras: string[];
  events: string[];
  tokens: string[];
  devices: string[];
  records: string[];
  /** The web console's files. */
  files: string[];
}

/**
 * Starts each route from the same small world: the cameras of earlier routes deleted (their
 * captures stopped), two fresh cameras, an event with a snapshot, the non-admin tokens.
 */
async function fixtures(app: TestApp, db: TestDatabase, known: Known): Promise<void> {
  const cameras = await db.sql<{ id: string }[]>`select id from cameras`;
  await Promise.all(cameras.map(({ id }) => app.fleet.delete(id).catch(() => {})));
  known.cameras = [];
  known.events = [];
  for (const name of ["fixture a", "fixture b"]) {
    const reply = await app.call("POST", "/api/cameras", {
      body: { name: `${name} ${uuidv7()}`, rtspUrl: "rtsp://127.0.0.1:9/s" },
    });
    assert.equal(reply.status, 201);
    known.cameras.push((await reply.json()).id);
  }
  const camera = known.cameras.at(-1)!;
  const event = uuidv7();
  await db.sql`insert into events (id, camera_id, kind, label, started_at, snapshot_path)
               values (${event}, ${camera}, 'object', 'person', now(), ${`${event}.jpg`})`;
  await Deno.mkdir(`${db.dataDir}/snapshots/${camera}`, { recursive: true });
  await Deno.writeFile(`${db.dataDir}/snapshots/${camera}/${event}.jpg`, new Uint8Array([255]));
  known.events.push(event);
  // A compiled clip of that camera, with its file.
  const record = uuidv7();
  const clip = new Uint8Array([0, 0, 0, 8, 102, 114, 101, 101]);
  const sha256 = createHash("sha256").update(clip).digest("hex");
  await db.sql`insert into records (id, camera_id, from_ts, to_ts, status, sha256, bytes)
               values (${record}, ${camera}, now() - interval '1 minute', now(), 'done',
                       ${sha256}, ${clip.length})`;
  await Deno.mkdir(`${db.dataDir}/records`, { recursive: true });
  await Deno.writeFile(`${db.dataDir}/records/${record}.mp4`, clip);
  known.records = [record];
  const tokens = await (await app.call("GET", "/api/tokens")).json();
  // Never our own admin token: revoking it would leave the rest of the run unauthenticated.
  known.tokens = tokens.items
    .filter((t: { role: string }) => t.role !== "admin")
    .map((t: { id: string }) => t.id);
  SERIES.camera = known.cameras.slice(-2);
}

let sent = 0;

async function send(app: TestApp, request: FuzzRequest): Promise<Response> {
  const body = request.body instanceof Uint8Array ? request.body.slice().buffer : request.body;
  // Each case from its own address: the failed-authentication limit is per address, and one
  // address sending thousands of bad tokens would get nothing but 429 (and lock out the
  // fixtures' own calls). The limit itself is tested in test/routes/auth_limit_test.ts.
  const n = ++sent;
  const hostname = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return await app.app.request(request.path, {
    method: request.method,
    headers: request.headers,
    body: request.method === "GET" ? undefined : body,
  }, { remoteAddr: { hostname, port: 40000, transport: "tcp" } });
}

if (Deno.env.get(NETNS_ENV) === undefined) {
  Deno.test({
    name: "every route, fuzzed in a network namespace: no 5xx, no unhandled rejection, " +
      "nothing stored by a refused request",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const started = performance.now();
      const run = await runTestInNetworkNamespace(new URL(import.meta.url).pathname, 300_000);
      console.log(run.output.split("\n").filter((l) => /^(fuzz|ok|FAILED)/.test(l)).join("\n"));
      console.log(`fuzzing took ${Math.round((performance.now() - started) / 1000)} s`);
      assert.equal(run.code, 0, run.output.slice(-12_000));
    },
  });
} else {
  Deno.test({
    name: "fuzz: every route",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const modelsDir = await tinyModelsDir();
      const db = await openTestDatabase("embedded");
      const app = await startTestApp(db, { modelsDir, onvifTimeoutMs: 300 });
      const rejections: unknown[] = [];
      const onRejection = (event: PromiseRejectionEvent) => {
        rejections.push(event.reason);
        event.preventDefault();
      };
      globalThis.addEventListener("unhandledrejection", onRejection);
      const known: Known = {
        cameras: [],
        events: [],
        tokens: [],
        devices: [],
        records: [],
        files: ["main.js", "app.css", "icon.svg"],
      };
      try {
        const doc = await (await app.call("GET", "/api/openapi.json")).json();
        const documented = Object.entries(doc.paths as Record<string, object>).flatMap((
          [path, methods],
        ) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
        const missing = documented.filter((route) => !(route in ROUTES));
        assert.deepEqual(missing, [], "every documented route has a fuzz entry");

        for (const [route, fuzz] of Object.entries(ROUTES)) {
          await t.step(route, async () => {
            await fixtures(app, db, known);
            const [method, template] = route.split(" ") as [string, string];
            const params = (doc.paths[template]?.[method.toLowerCase()]?.parameters ?? []) as {
              in: string;
              name: string;
            }[];
            const queryNames = params.filter((p) => p.in === "query").map((p) => p.name);
            const request = fc.record({
              id: idArb(() => known[fuzz.ids ?? "cameras"]),
              query: queryArb(queryNames, fuzz.query ?? {}),
              headers: headersArb(app.tokens),
              body: bodyArb(fuzz.bodies ?? []),
            }).map(({ id, query, headers, body }): FuzzRequest => ({
              method,
              path: template.replace(/\{(id|file)\}/, encode(id)) + query,
              headers,
              body,
            }));
            const changes = method !== "GET";
            // Deliberate answers about something upstream — a camera or ONVIF device that does
            // not answer (502/504), no frame in time or a query over its time limit (503) — are
            // allowed where the route documents them; 500, or an undocumented 5xx, is a bug.
            const documented = Object.keys(
              doc.paths[template]?.[method.toLowerCase()]?.responses ?? {},
            ).map(Number).filter((status) => status >= 502);
            await fc.assert(
              fc.asyncProperty(request, async (req) => {
                const before = changes ? await storedState(db.sql) : "";
                const reply = await send(app, req);
                // A long-lived reply (the event feed) is not read: it must only have started.
                await reply.body?.cancel();
                assert.ok(
                  reply.status < 500 || documented.includes(reply.status),
                  `${reply.status} for ${route}`,
                );
                if (changes && reply.status >= 400) {
                  assert.equal(await storedState(db.sql), before, `a refused ${route} stored`);
                }
                assert.deepEqual(rejections, [], "no unhandled rejection");
              }),
              { numRuns: fuzz.runs ?? RUNS, seed: seedFromEnv(), endOnFailure: true },
            );
          });
        }
      } finally {
        globalThis.removeEventListener("unhandledrejection", onRejection);
        await app.close();
        await db.close();
        await Deno.remove(modelsDir, { recursive: true });
      }
    },
  });
}

/** `VIGIL_FUZZ_SEED` replays a run; otherwise each run explores new cases. */
function seedFromEnv(): number | undefined {
  const seed = Deno.env.get("VIGIL_FUZZ_SEED");
  return seed === undefined ? undefined : Number(seed);
}
