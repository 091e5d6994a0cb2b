/**
 * Live video in Chromium: the camera page plays an HLS live session at the chosen quality, and
 * switching quality changes the picture's height without reloading the page.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startConsoleRig } from "../support/browser.ts";
import { startRtspServer } from "../support/rtsp.ts";

/** The `<video>`'s height and play position. */
async function playing(page: Page): Promise<{ height: number; time: number }> {
  const [height, time] = await page.evaluate(
    "[document.querySelector('video').videoHeight, document.querySelector('video').currentTime]",
  ) as [number, number];
  return { height, time };
}

/** Waits until the video plays at `height` and its position has moved on by 1 s. */
async function waitPlaying(page: Page, height: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let first: number | undefined;
  let last = { height: 0, time: 0 };
  while (Date.now() < deadline) {
    last = await playing(page);
    if (last.height === height) {
      first ??= last.time;
      if (last.time - first >= 1) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`video not playing at ${height}p: ${JSON.stringify(last)}`);
}

Deno.test({
  name: "the camera page plays live video at the chosen quality, and switching quality " +
    "changes videoHeight without a reload",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ width: 1280, height: 720, fps: 25 });
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "gate", rtspUrl: camera.url },
      })).json();
      await app.call("POST", `/api/cameras/${created.id}/capture`, { body: { action: "start" } });
      await rig.signIn();
      await page.goto(`${rig.base}/#/cameras/${created.id}`);
      await page.evaluate("globalThis.vigilTestMark = 'still here'");
      // It opens at the source quality (stream copy): 720 lines.
      await waitPlaying(page, 720, 60_000);
      await rig.shot("live");

      await page.getByLabel("Quality").selectOption("360p");
      await waitPlaying(page, 360, 60_000);
      const sessions = await (await app.call("GET", "/api/live")).json();
      assert.equal(sessions.items.length, 1, "the same session, switched");
      assert.equal(sessions.items[0].quality, "360p");
      assert.equal(await page.evaluate("globalThis.vigilTestMark"), "still here");

      // Leaving the page ends the session.
      await page.goto(`${rig.base}/#/cameras`);
      let left = -1;
      for (let i = 0; i < 200 && left !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = (await (await app.call("GET", "/api/live")).json()).items.length;
      }
      assert.equal(left, 0);
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});
