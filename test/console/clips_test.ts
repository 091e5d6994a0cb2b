/**
 * Recording and clips in Chromium: start recording from the camera page, export the last 10 s,
 * download the clip; the SHA-256 the page shows is the file's, and the box verifies it.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { startRtspServer } from "../support/rtsp.ts";

Deno.test({
  name: "start recording, export a 10 s clip, download it: the SHA-256 shown is the file's",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ width: 640, height: 360, fps: 25 });
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "dock", rtspUrl: camera.url },
      })).json();
      await rig.signIn();
      await page.goto(`${rig.base}/#/cameras/${created.id}`);
      await page.getByRole("button", { name: "Start recording" }).click();
      await page.getByRole("button", { name: "Stop recording" }).waitFor({ timeout: 15_000 });

      // Wait for more than 10 s of finished segments.
      const path = `/api/cameras/${created.id}/recordings`;
      let recorded = 0;
      for (let i = 0; i < 90 && recorded < 12_000; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const timeline = await (await app.call("GET", path)).json();
        recorded = timeline.intervals.reduce(
          (sum: number, s: { from: string; to: string }) =>
            sum + Date.parse(s.to) - Date.parse(s.from),
          0,
        );
      }
      assert.ok(recorded >= 12_000, `${recorded} ms recorded`);
      await page.getByRole("button", { name: "Reload recordings" }).click();
      await page.locator(".tl-rec").first().waitFor();
      await page.getByRole("button", { name: "Export clip" }).click();
      await page.locator('.clip [data-badge="done"]').waitFor({ timeout: 60_000 });
      const shown = await page.locator(".clip code.sha256").innerText();
      assert.match(shown, /^[0-9a-f]{64}$/);
      await rig.shot("clip", { fullPage: true });

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download" }).click(),
      ]);
      const file = await Deno.makeTempFile({ suffix: ".mp4" });
      try {
        await download.saveAs(file);
        const digest = new Uint8Array(
          await crypto.subtle.digest("SHA-256", await Deno.readFile(file)),
        );
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
        assert.equal(hex, shown);
      } finally {
        await Deno.remove(file);
      }
      await page.getByRole("button", { name: "Verify" }).click();
      await page.getByText(/^Verified: /).waitFor();
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});
