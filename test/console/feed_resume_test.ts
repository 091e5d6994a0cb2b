/**
 * Issue 24: the console's event feed reconnects with the id of the last event it got
 * (`Last-Event-ID`), so the box replays what it missed (routes/events.ts). The first connection
 * is answered by the test with one event and then ends, as a dropped connection does.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { uuidv7 } from "../../models/ids.ts";

Deno.test({
  name: "the console's event feed reconnects with the last event id it received",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:9/x" },
      })).json();
      const id = uuidv7();
      const event = {
        id,
        camera: created.id,
        kind: "object",
        label: "person",
        trackId: null,
        zone: null,
        startedAt: new Date().toISOString(),
        endedAt: null,
        bestScore: 0.9,
        hasSnapshot: false,
        details: {},
      };
      const asked: (string | null)[] = [];
      const second = Promise.withResolvers<void>();
      await page.route("**/api/events/stream*", async (route) => {
        asked.push(route.request().headers()["last-event-id"] ?? null);
        if (asked.length === 1) {
          await route.fulfill({
            status: 200,
            contentType: "text/event-stream",
            body: `event: ready\ndata: {}\n\nevent: open\nid: ${id}\ndata: ${
              JSON.stringify(event)
            }\n\n`,
          });
        } else {
          second.resolve();
          await route.continue();
        }
      });
      await rig.signIn();
      await page.goto(`${rig.base}/#/events`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        second.promise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("the feed did not reconnect")), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(asked[0], null);
      assert.equal(asked[1], id);
    } finally {
      await rig.close();
    }
  },
});
