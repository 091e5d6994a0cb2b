/**
 * Issue 25 in Chromium: the PTZ panel of a PTZ camera's page moves the simulated camera while a
 * pad key or an arrow key is held and stops it on release, goes to a preset and home; viewers see
 * the presets without controls; a camera without PTZ shows no panel; `onvif` is an event kind
 * of the events page's filter.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { CAMERA_CREDENTIALS, startSimulatedCamera } from "../support/onvif.ts";

Deno.test({
  name: "the PTZ panel moves the camera while a key is held and goes to presets and home",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    const camera = await startSimulatedCamera({
      ...CAMERA_CREDENTIALS,
      rtspUrl: "rtsp://127.0.0.1:9/none",
      ptz: true,
    });
    try {
      const { page, app } = rig;
      const created = await app.call("POST", "/api/cameras", {
        body: {
          name: "dome",
          onvif: { host: "127.0.0.1", port: camera.port, ...CAMERA_CREDENTIALS },
        },
      });
      assert.equal(created.status, 201);
      const id = (await created.json()).id;
      const plain = await app.call("POST", "/api/cameras", {
        body: { name: "fixed", rtspUrl: "rtsp://127.0.0.1:9/none" },
      });
      const plainId = (await plain.json()).id;
      await rig.signIn();

      await page.goto(`${rig.base}/#/cameras/${id}`);
      await page.getByRole("heading", { name: "PTZ" }).waitFor();
      const right = page.getByRole("button", { name: "Right", exact: true });
      await right.hover();
      await page.mouse.down();
      await page.waitForTimeout(600);
      await page.mouse.up();
      await waitFor(() => !camera.ptz!.moving() && camera.actions.includes("Stop"));
      assert.ok(camera.ptz!.position().pan > 0, "the pad panned right");

      const panel = page.locator("section.ptz");
      await panel.focus();
      const tiltBefore = camera.ptz!.position().tilt;
      await page.keyboard.down("ArrowUp");
      await page.waitForTimeout(600);
      await page.keyboard.up("ArrowUp");
      await waitFor(() => !camera.ptz!.moving(), () => `(actions: ${camera.actions.slice(-8)})`);
      assert.ok(camera.ptz!.position().tilt > tiltBefore, "the arrow key tilted up");

      await page.getByLabel("Preset", { exact: true }).selectOption({ label: "Yard" });
      await page.getByRole("button", { name: "Go to preset" }).click();
      await waitFor(
        () =>
          JSON.stringify(camera.ptz!.position()) ===
            JSON.stringify(camera.ptz!.presets.get("2")!.position),
        () =>
          `going to preset Yard (at ${JSON.stringify(camera.ptz!.position())}; actions: ${
            camera.actions.slice(-8)
          })`,
      );
      await page.getByRole("button", { name: "Home", exact: true }).click();
      await waitFor(() => camera.ptz!.position().pan === 0 && camera.ptz!.position().zoom === 0);
      await rig.shot("ptz-panel");

      await page.goto(`${rig.base}/#/cameras/${plainId}`);
      await page.getByRole("heading", { name: "Latest events" }).waitFor();
      await page.waitForTimeout(500);
      assert.equal(await page.getByRole("heading", { name: "PTZ" }).isVisible(), false);

      await page.goto(`${rig.base}/#/events`);
      await page.locator("option[value=onvif]").waitFor({ state: "attached" });

      await page.getByRole("button", { name: "Sign out" }).click();
      await rig.signIn(app.tokens.viewer);
      await page.goto(`${rig.base}/#/cameras/${id}`);
      await page.getByRole("heading", { name: "PTZ" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Right", exact: true }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "Go to preset" }).count(), 0);
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});

/** Generous: on a loaded box every request of the page, the API and the camera queues. */
async function waitFor(check: () => boolean, what = () => "", ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
