import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";

const PASSWORD = "s3cr3t-Pa55";

async function cameraCount(db: { sql: import("postgres").Sql }): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from cameras`;
  return row?.n ?? -1;
}

forEachDatabase("a camera can be created, read, listed, changed and deleted", async (db) => {
  const t = await startTestApp(db);
  try {
    const created = await t.call("POST", "/api/cameras", {
      body: { name: "porch", rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/live` },
    });
    assert.equal(created.status, 201);
    const camera = await created.json();
    assert.match(camera.id, /^[0-9a-f-]{36}$/);
    assert.equal(camera.rtspUrl, "rtsp://127.0.0.1:9/live");
    assert.equal(camera.username, "admin");
    assert.equal(camera.hasPassword, true);
    assert.equal(camera.state.stream, "offline");

    const read = await (await t.call("GET", `/api/cameras/${camera.id}`)).json();
    assert.equal(read.name, "porch");

    const patched = await t.call("PATCH", `/api/cameras/${camera.id}`, {
      body: { name: "front porch", transport: "udp" },
    });
    assert.equal(patched.status, 200);
    assert.equal((await patched.json()).transport, "udp");

    const list = await (await t.call("GET", "/api/cameras")).json();
    assert.deepEqual(list.items.map((c: { name: string }) => c.name), ["front porch"]);
    assert.equal(list.next, null);

    assert.equal((await t.call("DELETE", `/api/cameras/${camera.id}`)).status, 204);
    assert.equal((await t.call("GET", `/api/cameras/${camera.id}`)).status, 404);
  } finally {
    await t.close();
  }
});

forEachDatabase("the camera list pages in creation order with a cursor", async (db) => {
  const t = await startTestApp(db);
  try {
    for (const name of ["a", "b", "c"]) {
      await t.call("POST", "/api/cameras", { body: { name, rtspUrl: "rtsp://127.0.0.1:9/x" } });
    }
    const first = await (await t.call("GET", "/api/cameras?limit=2")).json();
    assert.deepEqual(first.items.map((c: { name: string }) => c.name), ["a", "b"]);
    assert.ok(first.next);
    const second = await (await t.call("GET", `/api/cameras?limit=2&cursor=${first.next}`)).json();
    assert.deepEqual(second.items.map((c: { name: string }) => c.name), ["c"]);
    assert.equal(second.next, null);
  } finally {
    await t.close();
  }
});

forEachDatabase("bad requests get a clear 4xx and store nothing", async (db, ctx) => {
  const t = await startTestApp(db);
  try {
    const cases: [string, () => Response | Promise<Response>, number, RegExp][] = [
      ["malformed JSON", () => t.call("POST", "/api/cameras", { body: "{nope" }), 400, /JSON/],
      ["a JSON array", () => t.call("POST", "/api/cameras", { body: [] }), 422, /object/],
      [
        "an unknown field",
        () =>
          t.call("POST", "/api/cameras", { body: { name: "x", rtspUrl: "rtsp://h/x", admin: 1 } }),
        422,
        /admin is not a known field/,
      ],
      [
        "a wrong type",
        () => t.call("POST", "/api/cameras", { body: { name: 5, rtspUrl: "rtsp://h/x" } }),
        422,
        /name must be a string/,
      ],
      [
        "a missing field",
        () => t.call("POST", "/api/cameras", { body: { name: "x" } }),
        422,
        /rtspUrl must be a string/,
      ],
      [
        "a file URL",
        () =>
          t.call("POST", "/api/cameras", { body: { name: "x", rtspUrl: "file:///etc/passwd" } }),
        422,
        /scheme 'file:' is not allowed/,
      ],
      [
        "an ffmpeg option as URL",
        () => t.call("POST", "/api/cameras", { body: { name: "x", rtspUrl: "-i /etc/passwd" } }),
        422,
        /rtspUrl/,
      ],
      [
        "a body over 1 MiB",
        () =>
          t.call("POST", "/api/cameras", {
            body: { name: "x".repeat(1_100_000), rtspUrl: "rtsp://h/x" },
          }),
        413,
        /exceeds/,
      ],
      [
        "a non-JSON content type",
        () =>
          t.app.request("/api/cameras", {
            method: "POST",
            headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "text/plain" },
            body: "name=x",
          }),
        415,
        /application\/json/,
      ],
      [
        "credentials with a broken % escape",
        () => t.call("POST", "/api/cameras", { body: { name: "x", rtspUrl: "rtsp://u:%zz@h/s" } }),
        422,
        /broken % escape/,
      ],
      ["a malformed id", () => t.call("GET", "/api/cameras/..%2Fetc"), 400, /UUID/],
      [
        "an unknown id",
        () => t.call("GET", "/api/cameras/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e"),
        404,
        /not found/,
      ],
      ["a bad limit", () => t.call("GET", "/api/cameras?limit=100000"), 400, /limit/],
      [
        "a capture action that does not exist",
        () =>
          t.call("POST", "/api/cameras/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e/capture", {
            body: { action: "explode" },
          }),
        422,
        /action must be one of start, stop/,
      ],
    ];
    for (const [name, request, status, message] of cases) {
      await ctx.step(name, async () => {
        const response = await request();
        assert.equal(response.status, status);
        const body = await response.json();
        assert.equal(typeof body.error.code, "string");
        assert.match(body.error.message, message);
      });
    }
    assert.equal(await cameraCount(db), 0);
  } finally {
    await t.close();
  }
});

forEachDatabase("a duplicate camera name answers 409", async (db) => {
  const t = await startTestApp(db);
  try {
    const body = { name: "dup", rtspUrl: "rtsp://127.0.0.1:9/x" };
    assert.equal((await t.call("POST", "/api/cameras", { body })).status, 201);
    const again = await t.call("POST", "/api/cameras", { body });
    assert.equal(again.status, 409);
    assert.equal((await again.json()).error.code, "conflict");
    assert.equal(await cameraCount(db), 1);
  } finally {
    await t.close();
  }
});

forEachDatabase("a camera password is stored encrypted and never returned", async (db) => {
  const t = await startTestApp(db);
  try {
    const created = await t.call("POST", "/api/cameras", {
      body: { name: "p", rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/x` },
    });
    const id = (await created.json()).id;
    const texts = [
      JSON.stringify(await (await t.call("GET", `/api/cameras/${id}`)).json()),
      JSON.stringify(await (await t.call("GET", "/api/cameras")).json()),
    ];
    for (const text of texts) assert.doesNotMatch(text, new RegExp(PASSWORD));
    const rows = await db.sql`select * from cameras`;
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(PASSWORD));
  } finally {
    await t.close();
  }
});

forEachDatabase(
  "a camera is pinned to a registered box, and a pin to no box changes nothing",
  async (db) => {
    const t = await startTestApp(db);
    try {
      const box = "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e";
      const stranger = "0192f0c4-6a1e-7b3c-8d2e-000000000000";
      await db.sql`
      insert into boxes (id, base_url, rtsp_url, capacity, version)
      values (${box}, 'http://127.0.0.1:9', 'rtsp://127.0.0.1:9', 4, 'test')`;
      const refused = await t.call("POST", "/api/cameras", {
        body: { name: "lost", rtspUrl: "rtsp://127.0.0.1:9/x", box: stranger },
      });
      assert.equal(refused.status, 422);
      assert.equal((await refused.json()).error.code, "unknown_box");
      assert.equal(await cameraCount(db), 0, "a refused create stores nothing");

      const created = await t.call("POST", "/api/cameras", {
        body: { name: "porch", rtspUrl: "rtsp://127.0.0.1:9/x", box: box.toUpperCase() },
      });
      assert.equal(created.status, 201);
      const camera = await created.json();
      assert.equal(camera.box, box);
      const list = await (await t.call("GET", "/api/cameras")).json();
      assert.equal(list.items[0].box, box);

      const bad = await t.call("PATCH", `/api/cameras/${camera.id}`, {
        body: { name: "renamed", box: stranger },
      });
      assert.equal(bad.status, 422);
      assert.equal((await bad.json()).error.code, "unknown_box");
      const kept = await (await t.call("GET", `/api/cameras/${camera.id}`)).json();
      assert.deepEqual([kept.name, kept.box], ["porch", box], "a refused change changes nothing");

      const cleared = await t.call("PATCH", `/api/cameras/${camera.id}`, { body: { box: null } });
      assert.equal(cleared.status, 200);
      assert.equal((await cleared.json()).box, null);
      const [row] = await db.sql<{ pin: string | null }[]>`
      select pin_box as pin from cameras where id = ${camera.id}`;
      assert.equal(row!.pin, null);

      const malformed = await t.call("PATCH", `/api/cameras/${camera.id}`, { body: { box: "b" } });
      assert.equal(malformed.status, 422);
      assert.equal((await malformed.json()).error.code, "invalid_input");
    } finally {
      await t.close();
    }
  },
);
