/**
 * The events page in Chromium follows the live feed: with analytics on and people walking in
 * the test video, a new event joins the list without a reload.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { startRtspServer } from "../support/rtsp.ts";

const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;

Deno.test({
  name: "with analytics on and the people video playing, a new event appears without a reload",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ source: VTEST, width: 768, height: 576, fps: 10 });
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "square", rtspUrl: camera.url },
      })).json();
      await rig.signIn();
      await page.goto(`${rig.base}/#/events`);
      await page.getByText("No events match.").waitFor();
      await page.locator('[data-badge="live updates"]').waitFor();
      // A reload would lose this mark.
      await page.evaluate("globalThis.vigilTestMark = 'still here'");

      const attach = await app.call("PUT", `/api/cameras/${created.id}/analytics`, {
        body: { classes: ["person"] },
      });
      assert.equal(attach.status, 200);
      const row = page.locator("li.event", { hasText: "person" }).first();
      await row.waitFor({ timeout: 60_000 });
      assert.match(await row.innerText(), /square/);
      assert.equal(await page.evaluate("globalThis.vigilTestMark"), "still here");

      // The row's snapshot arrives and the row opens the event's page.
      await page.locator("li.event .frame img:not([hidden])").first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(3000);
      await rig.shot("events");
      await row.getByRole("link").click();
      await page.getByText("Best score").waitFor();
      await page.locator(".event-page .frame img:not([hidden])").waitFor({ timeout: 15_000 });
      await page.locator("svg.track").waitFor({ timeout: 15_000 });
      await rig.shot("event");
      assert.deepEqual(rig.problems, []);
      assert.deepEqual(rig.dialogs, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});
