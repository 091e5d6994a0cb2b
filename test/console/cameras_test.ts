/**
 * The console in Chromium: signing in, adding a camera, its state, and names shown as text.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { startRtspServer } from "../support/rtsp.ts";

const XSS = "<img src=x onerror=alert(1)>";

Deno.test({
  name: "sign in, add a simulated camera by RTSP URL, and its badge turns live",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const camera = await startRtspServer({ width: 640, height: 360, fps: 10 });
    const rig = await startConsoleRig();
    try {
      const { page } = rig;
      await page.goto(`${rig.base}/`);
      await page.getByLabel("Access token").waitFor();
      await rig.shot("sign-in");
      await rig.signIn();
      await page.getByText("No cameras yet").waitFor();

      await page.getByText("Add a camera").click();
      await page.getByLabel("Name", { exact: true }).fill("porch");
      await page.getByLabel("RTSP URL").fill(camera.url);
      await page.getByRole("button", { name: "Add camera" }).click();
      const card = page.locator("article.camera", { hasText: "porch" });
      await card.waitFor();
      // The badge says what the stream does; it must reach "live" without a reload.
      await card.locator('[data-badge="live"]').waitFor({ timeout: 30_000 });
      await card.locator(".frame img:not([hidden])").waitFor({ timeout: 15_000 });
      assert.match(await card.locator(".facts").innerText(), /fps/);
      await rig.shot("cameras");

      const stored = await (await rig.app.call("GET", "/api/cameras")).json();
      assert.equal(stored.items.length, 1);
      assert.equal(stored.items[0].name, "porch");
      assert.equal(stored.items[0].state.stream, "live");
      assert.deepEqual(rig.problems, []);
      assert.deepEqual(rig.dialogs, []);
    } finally {
      await rig.close();
      await camera.stop();
    }
  },
});

Deno.test({
  name: "a camera named like markup shows that text, and no dialog opens",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page } = rig;
      await rig.signIn();
      await page.getByText("Add a camera").click();
      await page.getByLabel("Name", { exact: true }).fill(XSS);
      await page.getByLabel("RTSP URL").fill("rtsp://127.0.0.1:9/none");
      await page.getByLabel("Start capture now").uncheck();
      await page.getByRole("button", { name: "Add camera" }).click();
      const title = page.locator("article.camera h2");
      await title.waitFor();
      assert.equal(await title.innerText(), XSS);
      assert.equal(await page.locator("article.camera h2 img").count(), 0);

      await title.getByRole("link").click();
      const heading = page.getByRole("heading", { level: 1 });
      await page.locator("h1").filter({ hasText: XSS }).waitFor();
      assert.equal(await heading.innerText(), XSS);
      await page.goto(`${rig.base}/#/events`);
      await page.getByLabel("Camera").waitFor();
      assert.ok((await page.getByLabel("Camera").innerText()).includes(XSS));
      // Any onerror that ran would have opened an alert by now.
      await page.waitForTimeout(500);
      assert.equal(await page.locator("img[src='x']").count(), 0);
      assert.deepEqual(rig.dialogs, []);
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "a viewer sees cameras, events and health but no control that changes anything",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const created = await (await app.call("POST", "/api/cameras", {
        body: { name: "yard", rtspUrl: "rtsp://127.0.0.1:9/none" },
      })).json();
      await rig.signIn(app.tokens.viewer);
      assert.equal(await page.locator(".role").innerText(), "viewer");
      await page.locator("article.camera", { hasText: "yard" }).waitFor();
      assert.equal(await page.getByText("Add a camera").count(), 0);
      assert.equal(await page.getByRole("link", { name: "Discovery" }).count(), 0);

      await page.goto(`${rig.base}/#/cameras/${created.id}`);
      await page.locator("h1", { hasText: "yard" }).waitFor();
      for (const name of ["Start capture", "Delete camera", "Draw zone", "Save zones"]) {
        assert.equal(await page.getByRole("button", { name }).count(), 0, name);
      }
      assert.ok(await page.getByLabel("Model").isDisabled());

      await page.goto(`${rig.base}/#/system`);
      await page.getByText("Database").waitFor();
      assert.equal(await page.getByRole("heading", { name: "Tokens" }).count(), 0);
      // A page the role may not use says so instead of failing.
      await page.goto(`${rig.base}/#/discovery`);
      await page.getByText("Discovery is for admins.").waitFor();
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "a refused token is not kept, and signing out forgets the token",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page } = rig;
      await page.goto(`${rig.base}/`);
      await page.getByLabel("Access token").fill("vgl_aaaaaaaaaaaa_" + "b".repeat(43));
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("The box does not accept this token.").waitFor();
      assert.equal(await page.evaluate("sessionStorage.length"), 0);
      assert.deepEqual(await rig.browser.cookies(), []);

      await rig.signIn();
      assert.equal(await page.evaluate("sessionStorage.length"), 1);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByLabel("Access token").waitFor();
      assert.equal(await page.evaluate("sessionStorage.length"), 0);
      assert.deepEqual(await rig.browser.cookies(), [], "no cookie, ever");
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "an admin makes a viewer token for one camera on the System page; signed in with it, " +
    "the console shows that camera only",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      for (const name of ["front", "back"]) {
        await app.call("POST", "/api/cameras", {
          body: { name, rtspUrl: "rtsp://127.0.0.1:9/none" },
        });
      }
      await rig.signIn();
      await page.goto(`${rig.base}/#/system`);
      await page.getByLabel("Name", { exact: true }).fill("front desk");
      await page.getByLabel("Role").selectOption("viewer");
      await page.getByLabel("front", { exact: true }).check();
      await page.getByRole("button", { name: "Create token" }).click();
      const token = await page.locator("code.token-value").innerText();
      assert.match(token, /^vgl_/);
      await page.locator("li[data-token]", { hasText: "front desk" }).getByText("cameras: front")
        .waitFor();
      await rig.shot("system", { fullPage: true });

      await page.getByRole("button", { name: "Sign out" }).click();
      await rig.signIn(token);
      await page.locator("article.camera", { hasText: "front" }).waitFor();
      assert.deepEqual(await page.locator("article.camera h2").allInnerTexts(), ["front"]);
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
    }
  },
});
