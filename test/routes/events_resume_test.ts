/**
 * Issue 24, SSE resume: a client that reconnects to `GET /api/events/stream` with `Last-Event-ID`
 * receives the events it missed — from the database, only of cameras its token may see — and then
 * the live feed.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createToken } from "../../models/auth.ts";
import { uuidv7 } from "../../models/ids.ts";
import { eventView } from "../../models/store/events.ts";

interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** Reads SSE messages until `done` says so or the feed is quiet for `quietMs`. */
async function readMessages(
  response: Response,
  done: (messages: SseMessage[]) => boolean,
  quietMs = 3000,
): Promise<SseMessage[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: SseMessage[] = [];
  let buffer = "";
  try {
    while (!done(messages)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), quietMs);
      });
      const chunk = await Promise.race([reader.read(), quiet]);
      clearTimeout(timer);
      if (!chunk || chunk.done) break;
      buffer += chunk.value;
      const blocks = buffer.split("\n\n");
      buffer = blocks.pop() ?? "";
      for (const block of blocks) {
        const message: SseMessage = { event: "message", data: "" };
        for (const line of block.split("\n")) {
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").replace(/^ /, "");
          if (field === "event") message.event = value;
          else if (field === "id") message.id = value;
          else if (field === "data") message.data += value;
        }
        if (block.trim() !== "" && !block.startsWith(":")) messages.push(message);
      }
    }
  } finally {
    await reader.cancel();
  }
  return messages;
}

async function insertEvent(
  t: TestApp,
  camera: string,
  startedAt: number,
  endedAt: number | null,
): Promise<string> {
  const id = uuidv7(startedAt);
  await t.db.sql`insert into events (id, camera_id, kind, label, started_at, ended_at)
    values (${id}, ${camera}, 'object', 'person', ${new Date(startedAt)},
            ${endedAt === null ? null : new Date(endedAt)})`;
  return id;
}

Deno.test({
  name: "a client that reconnects with Last-Event-ID receives the events it missed, only those " +
    "its token may see, then the live feed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const t = await startTestApp(db, { feedHeartbeatMs: 60_000 });
    try {
      const cameras: string[] = [];
      for (const name of ["a", "b"]) {
        const created = await t.call("POST", "/api/cameras", {
          body: { name, rtspUrl: "rtsp://127.0.0.1:9/x" },
        });
        cameras.push((await created.json()).id);
      }
      const [a, b] = cameras as [string, string];
      const t0 = Date.now() - 60_000;
      const old = await insertEvent(t, a, t0 - 20_000, t0 - 15_000); // over before: not again
      const longRunning = await insertEvent(t, a, t0 - 10_000, t0 + 5_000); // ended since: close
      const lastSeen = await insertEvent(t, a, t0, null);
      const opened = await insertEvent(t, a, t0 + 1000, null); // started since: open
      const closed = await insertEvent(t, a, t0 + 2000, t0 + 3000); // started and ended: close
      const otherCamera = await insertEvent(t, b, t0 + 1500, null);
      const scoped = (await createToken(db.sql, "porch", "viewer", [a])).token;

      const resume = (token: string) =>
        t.app.request("/api/events/stream", {
          headers: { authorization: `Bearer ${token}`, "last-event-id": lastSeen },
        });

      // The scoped token: camera A's missed events, oldest change first, then live.
      const response = await resume(scoped);
      assert.equal(response.status, 200);
      let published = false;
      const live = eventView({
        id: uuidv7(),
        cameraId: a,
        kind: "object",
        label: "car",
        trackId: null,
        zone: null,
        startedAt: Date.now(),
        endedAt: null,
        bestScore: 0.7,
        snapshot: null,
        details: {},
      });
      const messages = await readMessages(response, (got) => {
        // Once the replay is through, an event published now must follow it.
        if (!published && got.some((m) => m.id === closed)) {
          published = true;
          t.events.publish({ action: "open", event: live });
          t.events.publish({ action: "open", event: { ...live, id: uuidv7(), camera: b } });
        }
        return got.some((m) => m.id === live.id);
      });
      const replayed = messages.filter((m) => m.event !== "ready" && m.id !== live.id);
      assert.deepEqual(replayed.map((m) => [m.event, m.id]), [
        ["open", opened],
        ["close", closed],
        ["close", longRunning],
      ]);
      assert.equal(JSON.parse(replayed[1]!.data).endedAt, new Date(t0 + 3000).toISOString());
      assert.ok(!messages.some((m) => m.id === old || m.id === lastSeen));
      assert.ok(!messages.some((m) => m.id === otherCamera), "camera B is not this token's");
      assert.equal(messages.at(-1)!.id, live.id, "then the live feed");
      assert.equal(messages.filter((m) => m.data.includes(b)).length, 0);

      // An unlimited token gets camera B's missed event too.
      const all = await readMessages(
        await resume(t.tokens.viewer),
        (got) => got.some((m) => m.id === longRunning),
      );
      assert.ok(all.some((m) => m.id === otherCamera && m.event === "open"));

      // A Last-Event-ID that is no event id is refused.
      const bad = await t.app.request("/api/events/stream", {
        headers: { authorization: `Bearer ${scoped}`, "last-event-id": "42" },
      });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    } finally {
      await t.close();
      await db.close();
    }
  },
});
