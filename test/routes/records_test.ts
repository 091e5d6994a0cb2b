/**
 * The recording and records routes refuse what they cannot do, clearly and without writing
 * anything, and let each role do only its part: admins start, stop and compile; viewers and the
 * media server read the timeline and fetch clips.
 */
import assert from "node:assert/strict";
import { forEachDatabase, openTestDatabase } from "../support/databases.ts";
import { finishRecord } from "../../models/store/records.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { uuidv7 } from "../../models/ids.ts";
import { dirname } from "node:path";
import {
  cameraRecordingsDir,
  recordFile,
  segmentFile,
  segmentPath,
} from "../../models/recording/paths.ts";

async function addCamera(app: TestApp): Promise<string> {
  const response = await app.call("POST", "/api/cameras", {
    body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:1/none" },
  });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

async function errorOf(
  response: Response,
): Promise<{ status: number; code: string; message: string }> {
  const body = await response.json();
  return { status: response.status, code: body.error?.code, message: body.error?.message };
}

forEachDatabase(
  "compile requests that cannot be served answer 4xx and write nothing",
  async (db) => {
    const app = await startTestApp(db);
    try {
      const camera = await addCamera(app);
      // One segment row so "no recording" is about the range, not an empty table.
      const segmentStart = Date.parse("2026-11-25T14:00:00Z");
      await db
        .sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes, duration_ms)
                 values (${uuidv7(segmentStart)}, ${camera},
                         ${`${camera}/2026-11-25/140000-000.mp4`}, ${new Date(segmentStart)},
                         ${new Date(segmentStart + 10_000)}, 1000, 10000)`;
      const cases: [string, unknown, number, RegExp][] = [
        [
          "from after to",
          { camera, from: "2026-11-25T15:00:00Z", to: "2026-11-25T14:00:00Z" },
          422,
          /from must be before to/,
        ],
        [
          "a range over 24 h",
          { camera, from: "2026-11-25T00:00:00Z", to: "2026-11-26T00:00:01Z" },
          422,
          /to must be at most 24 h after from/,
        ],
        [
          "an unknown camera",
          { camera: uuidv7(), from: "2026-11-25T14:00:00Z", to: "2026-11-25T14:01:00Z" },
          404,
          /camera .* was not found/,
        ],
        ["an unknown event", { event: uuidv7() }, 404, /event .* was not found/],
        [
          "a camera that is not a UUID",
          { camera: "cam-1", from: "2026-11-25T14:00:00Z", to: "2026-11-25T14:01:00Z" },
          422,
          /camera must be a UUID/,
        ],
        [
          "a range with no recording",
          { camera, from: "2026-11-25T16:00:00Z", to: "2026-11-25T16:01:00Z" },
          422,
          /has no recording between/,
        ],
        ["both an event and a range", { event: uuidv7(), camera }, 422, /camera must be left out/],
        ["neither", {}, 422, /camera is required/],
        [
          "a time without a zone",
          { camera, from: "2026-11-25T14:00:00", to: "2026-11-25T14:01:00Z" },
          422,
          /from must be an ISO 8601 time/,
        ],
        [
          "an unknown field",
          { camera, from: "2026-11-25T14:00:00Z", to: "2026-11-25T14:01:00Z", fast: true },
          422,
          /fast is not a known field/,
        ],
      ];
      for (const [name, body, status, message] of cases) {
        const error = await errorOf(await app.call("POST", "/api/records", { body }));
        assert.equal(error.status, status, `${name}: ${error.message}`);
        assert.match(error.message, message, name);
      }
      const noRecording = await errorOf(
        await app.call("POST", "/api/records", {
          body: { camera, from: "2026-11-25T16:00:00Z", to: "2026-11-25T16:01:00Z" },
        }),
      );
      assert.equal(noRecording.code, "no_recording");
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from records`;
      assert.equal(row?.n, 0, "nothing was written");

      for (const path of ["/api/records/not-a-uuid", "/api/records/not-a-uuid/file"]) {
        assert.equal((await app.call("GET", path)).status, 400, path);
      }
      for (const path of [`/api/records/${uuidv7()}`, `/api/records/${uuidv7()}/verify`]) {
        assert.equal((await app.call("GET", path)).status, 404, path);
      }
      assert.equal((await app.call("DELETE", `/api/records/${uuidv7()}`)).status, 404);
    } finally {
      await app.close();
    }
  },
);

forEachDatabase(
  "recording settings are validated, stored and answered with defaults",
  async (db) => {
    const app = await startTestApp(db);
    try {
      const camera = await addCamera(app);
      const path = `/api/cameras/${camera}/recording`;
      assert.equal((await app.call("GET", path)).status, 404, "never asked to record");
      const bad: [unknown, RegExp][] = [
        [{}, /mode/],
        [{ mode: "always" }, /mode must be one of continuous, events/],
        [{ mode: "events", preRollS: 61 }, /preRollS must be a number from 0 to 60/],
        [{ mode: "events", events: { kinds: ["motion"] } }, /events\.kinds\.0/],
        [{ mode: "events", retainDays: 0 }, /retainDays/],
        [{ mode: "events", segmentSeconds: 4 }, /segmentSeconds is not a known field/],
      ];
      for (const [body, message] of bad) {
        const error = await errorOf(await app.call("PUT", path, { body }));
        assert.equal(error.status, 422, JSON.stringify(body));
        assert.match(error.message, message);
      }
      assert.equal((await app.call("GET", path)).status, 404, "a refused body stored nothing");
      assert.equal(
        (await app.call("PUT", `/api/cameras/${uuidv7()}/recording`, {
          body: { mode: "continuous" },
        }))
          .status,
        404,
      );
      assert.equal((await app.call("DELETE", `/api/cameras/${uuidv7()}/recording`)).status, 404);

      const timeline = `/api/cameras/${camera}/recordings`;
      assert.equal(
        (await app.call("GET", `${timeline}?from=2026-11-25T15:00:00Z&to=2026-11-25T14:00:00Z`))
          .status,
        422,
      );
      assert.equal(
        (await app.call("GET", `${timeline}?from=2026-11-01T00:00:00Z&to=2026-11-25T00:00:00Z`))
          .status,
        422,
        "over 7 days",
      );
      assert.equal((await app.call("GET", `${timeline}?from=yesterday`)).status, 400);
      assert.equal(
        (await app.call("GET", `${timeline}?from=yesterday&to=2026-11-25T15:00:00Z`)).status,
        400,
      );
      const empty = await app.call(
        "GET",
        `${timeline}?from=2026-11-25T14:00:00Z&to=2026-11-25T15:00:00Z`,
        { token: app.tokens.media },
      );
      assert.equal(empty.status, 200);
      assert.deepEqual((await empty.json()).gaps, [
        { from: "2026-11-25T14:00:00.000Z", to: "2026-11-25T15:00:00.000Z" },
      ]);
    } finally {
      await app.close();
    }
  },
);

forEachDatabase(
  "roles: admins record and compile, viewers and media read recordings",
  async (db) => {
    const app = await startTestApp(db);
    try {
      const camera = await addCamera(app);
      const body = { mode: "events" };
      const recording = `/api/cameras/${camera}/recording`;
      for (const token of [app.tokens.viewer, app.tokens.media]) {
        assert.equal((await app.call("PUT", recording, { body, token })).status, 403);
        assert.equal((await app.call("DELETE", recording, { token })).status, 403);
        const compile = await app.call("POST", "/api/records", {
          body: { camera, from: "2026-11-25T14:00:00Z", to: "2026-11-25T14:01:00Z" },
          token,
        });
        assert.equal(compile.status, 403);
        assert.equal(
          (await app.call("GET", `/api/cameras/${camera}/recordings`, { token })).status,
          200,
        );
        assert.equal((await app.call("GET", "/api/records", { token })).status, 200);
      }
      assert.equal(
        (await app.call("GET", recording, { token: app.tokens.media })).status,
        403,
        "settings are not video: media may not read them",
      );
      const started = await app.call("PUT", recording, { body });
      assert.equal(started.status, 200);
      const view = await started.json();
      assert.equal(view.active, true);
      assert.equal(view.settings.preRollS, 5);
      assert.equal((await app.call("GET", recording, { token: app.tokens.viewer })).status, 200);
      assert.equal((await app.call("DELETE", recording)).status, 204);
      const stopped = await (await app.call("GET", recording)).json();
      assert.equal(stopped.active, false, "a stop keeps the settings, inactive");
      assert.equal(stopped.state, "idle");
    } finally {
      await app.close();
    }
  },
);

forEachDatabase("deleting a camera deletes its recordings and clips", async (db) => {
  const app = await startTestApp(db);
  try {
    const camera = await addCamera(app);
    const start = Date.parse("2026-11-25T14:00:00Z");
    const path = segmentPath(camera, start);
    await Deno.mkdir(dirname(segmentFile(db.dataDir, path)), { recursive: true });
    await Deno.writeTextFile(segmentFile(db.dataDir, path), "segment");
    await db
      .sql`insert into segments (id, camera_id, path, started_at, ended_at, bytes, duration_ms)
                 values (${uuidv7(start)}, ${camera}, ${path}, ${new Date(start)},
                         ${new Date(start + 10_000)}, 7, 10000)`;
    const clip = uuidv7();
    await db.sql`insert into records (id, camera_id, from_ts, to_ts, status)
                 values (${clip}, ${camera}, ${new Date(start)}, ${new Date(
      start + 1000,
    )}, 'done')`;
    await Deno.mkdir(`${db.dataDir}/records`, { recursive: true });
    await Deno.writeTextFile(recordFile(db.dataDir, clip), "clip");

    assert.equal((await app.call("DELETE", `/api/cameras/${camera}`)).status, 204);
    const gone = async (file: string) => await Deno.stat(file).then(() => false, () => true);
    for (let i = 0; i < 300 && !(await gone(recordFile(db.dataDir, clip))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(await gone(cameraRecordingsDir(db.dataDir, camera)), "its recordings are gone");
    assert.ok(await gone(recordFile(db.dataDir, clip)), "its clips are gone");
    const [row] = await db.sql<{ n: number }[]>`
      select (select count(*) from segments)::int + (select count(*) from records)::int as n`;
    assert.equal(row?.n, 0);
  } finally {
    await app.close();
  }
});

Deno.test({
  name: "clip checks are bounded: past the most at once, verify answers 503 with Retry-After",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db, { maxVerifying: 1 });
    try {
      const camera = await addCamera(app);
      const id = uuidv7();
      // Running already, so the compiler never claims it; then finished with a large clip.
      await db.sql`insert into records (id, camera_id, from_ts, to_ts, annotated, status)
        values (${id}, ${camera}, now() - interval '1 hour', now(), false, 'running')`;
      const path = recordFile(db.dataDir, id);
      await Deno.mkdir(dirname(path), { recursive: true });
      const file = await Deno.open(path, { write: true, create: true });
      await file.truncate(128 * 1024 * 1024);
      file.close();
      assert.ok(
        await finishRecord(db.sql, id, {
          path,
          bytes: 128 * 1024 * 1024,
          durationMs: 3_600_000,
          sha256: "0".repeat(64),
          gaps: [],
        }),
      );
      const replies = await Promise.all(
        Array.from({ length: 4 }, () => app.call("GET", `/api/records/${id}/verify`)),
      );
      const statuses = replies.map((r) => r.status).sort();
      assert.equal(statuses.filter((s) => s === 200).length >= 1, true, String(statuses));
      const refused = replies.filter((r) => r.status === 503);
      assert.ok(refused.length >= 1, `some checks were refused: ${statuses}`);
      assert.ok(Number(refused[0]!.headers.get("retry-after")) > 0);
      await Promise.all(replies.map((r) => r.body?.cancel()));
    } finally {
      await app.close();
      await db.close();
    }
  },
});
