/**
 * SECURITY.md: "a camera's password goes only to that camera's recorded address". An analysis URL
 * carries no credentials of its own — the camera's are added to it — so one on another host than
 * the camera would hand that host the camera's password (a write token cannot read passwords, but
 * could collect them this way). Nothing here connects anywhere: the camera never starts capture.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { registerSources } from "../../actors/camera/camera_unit.ts";
import { getCamera } from "../../models/store/cameras.ts";

Deno.test("an analysisUrl on another host than the camera is refused and stores nothing", async (t) => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  try {
    const cameras = async () => (await db.sql`select name, analysis_url from cameras`).length;

    await t.step("on create", async () => {
      const made = await app.call("POST", "/api/cameras", {
        body: {
          name: "gate",
          rtspUrl: "rtsp://admin:secret@192.0.2.10:554/main",
          analysisUrl: "rtsp://198.51.100.7:554/sub",
        },
      });
      await made.body?.cancel();
      assert.equal(made.status, 422);
      assert.equal(await cameras(), 0);
    });

    await t.step("on a change", async () => {
      const made = await app.call("POST", "/api/cameras", {
        body: {
          name: "yard",
          rtspUrl: "rtsp://admin:secret@192.0.2.10:554/main",
          analysisUrl: "rtsp://192.0.2.10:8554/sub",
        },
      });
      assert.equal(made.status, 201, "the camera's own host, another port, is its sub-stream");
      const id = (await made.json()).id as string;
      const patched = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { analysisUrl: "rtsp://198.51.100.7:554/sub" },
      });
      await patched.body?.cancel();
      assert.equal(patched.status, 422);
      const [row] = await db.sql`select analysis_url from cameras where id = ${id}`;
      assert.equal(row?.analysis_url, "rtsp://192.0.2.10:8554/sub");
    });

    await t.step(
      "a source moved to another host does not leave the analysis URL behind",
      async () => {
        const made = await app.call("POST", "/api/cameras", {
          body: {
            name: "lane",
            rtspUrl: "rtsp://admin:secret@192.0.2.20:554/main",
            analysisUrl: "rtsp://192.0.2.20:554/sub",
          },
        });
        const id = (await made.json()).id as string;
        const moved = await app.call("PATCH", `/api/cameras/${id}`, {
          body: { rtspUrl: "rtsp://admin:new-secret@192.0.2.21:554/main" },
        });
        await moved.body?.cancel();
        assert.equal(moved.status, 422, "the new password would go to the old host's sub-stream");
        const both = await app.call("PATCH", `/api/cameras/${id}`, {
          body: {
            rtspUrl: "rtsp://admin:new-secret@192.0.2.21:554/main",
            analysisUrl: "rtsp://192.0.2.21:554/sub",
          },
        });
        assert.equal(both.status, 200, "moved together");
        assert.equal((await both.json()).analysisUrl, "rtsp://192.0.2.21:554/sub");
      },
    );
  } finally {
    await app.close();
    await db.close();
  }
});

Deno.test("a recordUrl on another host than the camera is refused and stores nothing", async (t) => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  try {
    await t.step("on create", async () => {
      const made = await app.call("POST", "/api/cameras", {
        body: {
          name: "gate",
          rtspUrl: "rtsp://admin:secret@192.0.2.10:554/main",
          recordUrl: "rtsp://198.51.100.7:554/main",
        },
      });
      await made.body?.cancel();
      assert.equal(made.status, 422);
      assert.equal((await db.sql`select id from cameras`).length, 0);
    });

    await t.step("on a change, and when the source moves without it", async () => {
      const made = await app.call("POST", "/api/cameras", {
        body: {
          name: "yard",
          rtspUrl: "rtsp://admin:secret@192.0.2.10:554/main",
          recordUrl: "rtsp://192.0.2.10:554/hd",
        },
      });
      assert.equal(made.status, 201, "the camera's own host is its recorded stream");
      const id = (await made.json()).id as string;
      const elsewhere = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { recordUrl: "rtsp://198.51.100.7:554/hd" },
      });
      await elsewhere.body?.cancel();
      assert.equal(elsewhere.status, 422);
      const moved = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { rtspUrl: "rtsp://admin:new-secret@192.0.2.21:554/main" },
      });
      await moved.body?.cancel();
      assert.equal(moved.status, 422, "the new password would go to the old host's stream");
      const [row] = await db.sql`select source_url, record_url from cameras where id = ${id}`;
      assert.equal(row?.record_url, "rtsp://192.0.2.10:554/hd");
      assert.equal(row?.source_url, "rtsp://192.0.2.10:554/main");
      const cleared = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { rtspUrl: "rtsp://admin:new-secret@192.0.2.21:554/main", recordUrl: null },
      });
      assert.equal(cleared.status, 200, "moved with the record URL cleared");
      assert.equal((await cleared.json()).recordUrl, null);
    });
  } finally {
    await app.close();
    await db.close();
  }
});

Deno.test("a recordUrl or analysisUrl stored on another host is never sent the camera's password", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  try {
    const made = await app.call("POST", "/api/cameras", {
      body: { name: "gate", rtspUrl: "rtsp://admin:secret@192.0.2.10:554/main" },
    });
    const id = (await made.json()).id as string;
    // As rows written before the rule (any host was accepted), or by two changes at once.
    await db.sql`update cameras set record_url = 'rtsp://198.51.100.7:554/hd',
                                    analysis_url = 'rtsp://198.51.100.7:554/sub' where id = ${id}`;
    let sources: Record<string, string | undefined> = {};
    const hub = { setCamera: (_: string, s: Record<string, string | undefined>) => (sources = s) };
    await registerSources(
      { db: app.db, secrets: app.secrets, hub } as unknown as Parameters<typeof registerSources>[0],
      await getCamera(db.sql, id),
    );
    const sent = Object.values(sources).filter((url) => url?.includes("198.51.100.7"));
    assert.deepEqual(sent, [], "nothing on the other host is registered with the credentials");
    assert.equal(sources.main, undefined, "recording falls back to the camera's own stream");
  } finally {
    await app.close();
    await db.close();
  }
});

Deno.test("two changes at once never leave a recordUrl on another host than rtspUrl", async () => {
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db);
  const old = "rtsp://admin:secret@192.0.2.10:554/main";
  try {
    const made = await app.call("POST", "/api/cameras", { body: { name: "yard", rtspUrl: old } });
    const id = (await made.json()).id as string;
    for (let i = 0; i < 10; i++) {
      const reset = await app.call("PATCH", `/api/cameras/${id}`, {
        body: { rtspUrl: old, recordUrl: null },
      });
      assert.equal(reset.status, 200);
      await reset.body?.cancel();
      // One request names a stream on the old host while the other moves the camera.
      const replies = await Promise.all([
        app.call("PATCH", `/api/cameras/${id}`, {
          body: { recordUrl: "rtsp://192.0.2.10:554/hd" },
        }),
        app.call("PATCH", `/api/cameras/${id}`, {
          body: { rtspUrl: "rtsp://admin:new-secret@192.0.2.21:554/main" },
        }),
      ]);
      for (const reply of replies) await reply.body?.cancel();
      const [row] = await db.sql`select source_url, record_url from cameras where id = ${id}`;
      if (row?.record_url) {
        assert.equal(
          new URL(row.record_url).hostname,
          new URL(row.source_url).hostname,
          `attempt ${i}: ${replies.map((r) => r.status)} ${row.source_url} ${row.record_url}`,
        );
      }
    }
  } finally {
    await app.close();
    await db.close();
  }
});
