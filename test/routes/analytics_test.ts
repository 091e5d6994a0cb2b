import assert from "node:assert/strict";
import { forEachDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";

const square = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]];
const bowtie = [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]];

forEachDatabase("invalid analytics settings answer 422 naming the field", async (db, t) => {
  const app = await startTestApp(db);
  try {
    const camera = await (await app.call("POST", "/api/cameras", {
      body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/x" },
    })).json();
    const path = `/api/cameras/${camera.id}/analytics`;
    const cases: [string, unknown, RegExp][] = [
      [
        "a self-intersecting zone",
        { zones: [{ name: "z", polygon: bowtie }] },
        /zones\.0\.polygon/,
      ],
      ["fps 0", { fps: 0 }, /fps/],
      ["fps 1000", { fps: 1000 }, /fps/],
      ["an unknown class", { classes: ["unicorn"] }, /classes\.0/],
      ["an unknown model", { detector: "nope" }, /detector/],
      ["an unknown field", { zonez: [] }, /zonez/],
      ["a webhook to a file URL", { webhook: { url: "file:///etc/passwd" } }, /webhook\.url/],
    ];
    for (const [name, body, field] of cases) {
      await t.step(name, async () => {
        const response = await app.call("PUT", path, { body });
        assert.equal(response.status, 422);
        const error = (await response.json()).error;
        assert.match(error.message, field);
      });
    }
    const stored = await db.sql`select desired from cameras where id = ${camera.id}`;
    assert.equal(stored[0]?.desired.analytics, undefined);
    assert.equal((await app.call("GET", path)).status, 404);
  } finally {
    await app.close();
  }
});

forEachDatabase(
  "valid analytics settings are stored with defaults and can be detached",
  async (db) => {
    const app = await startTestApp(db);
    try {
      const camera = await (await app.call("POST", "/api/cameras", {
        body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/x" },
      })).json();
      const path = `/api/cameras/${camera.id}/analytics`;
      const put = await app.call("PUT", path, {
        body: { classes: ["person"], zones: [{ name: "door", polygon: square }] },
      });
      assert.equal(put.status, 200);
      const settings = await put.json();
      assert.equal(settings.detector, "centernet");
      assert.equal(settings.fps, 5);
      const got = await (await app.call("GET", path)).json();
      assert.deepEqual(got.settings.zones[0].name, "door");

      const hooked = await app.call("PUT", path, {
        body: { webhook: { url: "https://hooks.example.test/services/T0/SECRET" } },
      });
      assert.equal(hooked.status, 200);
      const read = await (await app.call("GET", path, { token: app.tokens.viewer })).json();
      assert.equal(read.settings.webhook.url, "https://hooks.example.test/…");
      assert.doesNotMatch(JSON.stringify(read), /SECRET/);
      // The console saves what it read: the redacted URL keeps the stored one.
      const resaved = await app.call("PUT", path, {
        body: { ...read.settings, zones: [{ name: "gate", polygon: square }] },
      });
      assert.equal(resaved.status, 200);
      const kept = await db.sql`select desired from cameras where id = ${camera.id}`;
      assert.equal(
        kept[0]?.desired.analytics.webhook.url,
        "https://hooks.example.test/services/T0/SECRET",
      );
      assert.equal(kept[0]?.desired.analytics.zones[0].name, "gate");
      const state = await (await app.call("GET", `/api/cameras/${camera.id}`)).json();
      assert.equal(state.state.analytics, "attached");
      assert.equal(state.desired.capturing, true, "attaching analytics starts capture");

      assert.equal((await app.call("DELETE", path)).status, 204);
      assert.equal((await app.call("GET", path)).status, 404);
      const after = await (await app.call("GET", `/api/cameras/${camera.id}`)).json();
      assert.equal(after.state.analytics, "detached");
      const viewer = await app.call("PUT", path, { body: {}, token: app.tokens.viewer });
      assert.equal(viewer.status, 403);
    } finally {
      await app.close();
    }
  },
);
