/**
 * Zones drawn on the camera's picture in Chromium reach the analytics settings.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { startRtspServer } from "../support/rtsp.ts";

const VTEST = new URL("../../assets/media/vtest.avi", import.meta.url).pathname;

function near(actual: number[][], expected: number[][], slack = 0.01): void {
  assert.equal(actual.length, expected.length, JSON.stringify(actual));
  actual.forEach((p, i) => {
    assert.ok(
      Math.abs(p[0]! - expected[i]![0]!) <= slack && Math.abs(p[1]! - expected[i]![1]!) <= slack,
      `corner ${i}: ${JSON.stringify(p)} is not near ${JSON.stringify(expected[i])}`,
    );
  });
}

Deno.test({
  name: "a zone drawn with four clicks and saved is what GET .../analytics returns; " +
    "a dragged corner, a deleted corner and a line drawn with the keyboard are saved too",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ source: VTEST, width: 768, height: 576, fps: 10 });
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "hall", rtspUrl: camera.url },
      })).json();
      await app.call("POST", `/api/cameras/${created.id}/capture`, { body: { action: "start" } });
      await rig.signIn();
      await page.goto(`${rig.base}/#/cameras/${created.id}`);
      await page.locator(".editor-frame img:not([hidden])").waitFor({ timeout: 30_000 });

      await page.getByRole("button", { name: "Draw zone" }).click();
      const surface = page.locator("svg.surface");
      await surface.scrollIntoViewIfNeeded();
      // The overlay takes the camera's proportions (768x576 is 4:3) once the camera reports
      // them, whatever size the snapshot is.
      let box = (await surface.boundingBox())!;
      for (let i = 0; i < 300 && Math.abs(box.width / box.height - 4 / 3) >= 0.02; i++) {
        await new Promise((r) => setTimeout(r, 100));
        box = (await surface.boundingBox())!;
      }
      assert.ok(Math.abs(box.width / box.height - 4 / 3) < 0.02, `${box.width}x${box.height}`);
      const corners = [[0.2, 0.3], [0.7, 0.3], [0.7, 0.9], [0.2, 0.9]];
      for (const [x, y] of corners) {
        await page.mouse.click(box.x + x! * box.width, box.y + y! * box.height);
      }
      await page.getByRole("button", { name: "Finish shape" }).click();
      const name = page.getByLabel("Name of zone 1");
      await name.fill("door");
      await name.press("Tab");
      await page.getByRole("button", { name: "Save zones" }).click();
      await page.getByText("Saved.").first().waitFor();

      const path = `/api/cameras/${created.id}/analytics`;
      const saved = await (await app.call("GET", path)).json();
      assert.equal(saved.settings.zones.length, 1);
      assert.equal(saved.settings.zones[0].name, "door");
      near(saved.settings.zones[0].polygon, corners);
      await rig.shot("camera", { fullPage: true });

      // Drag the third corner, then delete the fourth with the keyboard.
      await surface.scrollIntoViewIfNeeded();
      box = (await surface.boundingBox())!;
      const from = { x: box.x + 0.7 * box.width, y: box.y + 0.9 * box.height };
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move(from.x + 0.1 * box.width, from.y - 0.1 * box.height, { steps: 5 });
      await page.mouse.up();
      await page.mouse.click(box.x + 0.2 * box.width, box.y + 0.9 * box.height);
      await page.keyboard.press("Delete");
      await page.getByRole("button", { name: "Save zones" }).click();
      await rig.shot("zones-edited");
      let polygon: number[][] = [];
      for (let i = 0; i < 300 && polygon.length !== 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        polygon = (await (await app.call("GET", path)).json()).settings.zones[0].polygon;
      }
      near(polygon, [[0.2, 0.3], [0.7, 0.3], [0.8, 0.8]]);

      // Keyboard only: a tripwire from wherever the cursor is to 0.1 to its right.
      await page.getByRole("button", { name: "Draw line" }).focus();
      await page.keyboard.press("Enter");
      await page.keyboard.press("Space");
      for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Space");
      await page.getByRole("button", { name: "Save zones" }).click();
      let lines: { a: number[]; b: number[] }[] = [];
      for (let i = 0; i < 300 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        lines = (await (await app.call("GET", path)).json()).settings.lines;
      }
      assert.equal(lines.length, 1);
      assert.ok(Math.abs(lines[0]!.b[0]! - lines[0]!.a[0]! - 0.1) < 0.001, JSON.stringify(lines));
      assert.equal(lines[0]!.b[1], lines[0]!.a[1]);
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});
