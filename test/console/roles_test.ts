/**
 * The console and the token roles in Chromium: each role signs in as itself, and an admin makes
 * a metrics token from the form, which then sees the box's metrics and nothing else.
 */
import assert from "node:assert/strict";
import { startConsoleRig } from "../support/browser.ts";
import { createToken } from "../../models/auth.ts";

Deno.test({
  name: "a token of each role signs in as that role",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      const metrics = (await createToken(rig.db.sql, "scraper", "metrics")).token;
      const tokens = { ...app.tokens, metrics };
      for (const [role, token] of Object.entries(tokens)) {
        await rig.signIn(token);
        assert.equal(await page.locator(".who .role").innerText(), role);
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByLabel("Access token").waitFor();
      }
      assert.deepEqual(rig.problems, []);
    } finally {
      await rig.close();
    }
  },
});

Deno.test({
  name: "an admin makes a metrics token on the System page; signed in with it, the console " +
    "shows the box's metrics and nothing else",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rig = await startConsoleRig();
    try {
      const { page, app } = rig;
      await app.call("POST", "/api/cameras", {
        body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:9/none" },
      });
      await rig.signIn();
      await page.goto(`${rig.base}/#/system`);
      await page.getByLabel("Name", { exact: true }).fill("prometheus");
      const gate = page.getByLabel("gate", { exact: true });
      await gate.waitFor();
      assert.ok(await gate.isEnabled(), "a viewer may be limited to cameras");
      await page.getByLabel("Role").selectOption("metrics");
      // /metrics is closed to a token limited to cameras: the form does not offer a list.
      assert.ok(await gate.isDisabled());
      await page.getByRole("button", { name: "Create token" }).click();
      const token = await page.locator("code.token-value").innerText();
      assert.match(token, /^vgl_/);
      const row = page.locator("li[data-token]", { hasText: "prometheus" });
      await row.getByText("all cameras").waitFor();
      assert.equal(await row.locator(".role").innerText(), "metrics");
      const listed = await (await app.call("GET", "/api/tokens")).json();
      const made = listed.items.find((t: { name: string }) => t.name === "prometheus");
      assert.deepEqual([made?.role, made?.cameras], ["metrics", null]);

      await page.getByRole("button", { name: "Sign out" }).click();
      await rig.signIn(token);
      assert.equal(await page.locator(".who .role").innerText(), "metrics");
      // It starts on System, the one section its permissions serve.
      await page.waitForURL(/#\/system$/);
      const sections = await page.getByRole("navigation", { name: "Sections" }).getByRole("link")
        .allInnerTexts();
      assert.deepEqual(sections, ["System"]);
      await page.getByRole("heading", { name: "Metrics" }).waitFor();
      const summary = page.locator('[data-metrics="summary"]');
      await summary.getByText(/^\d+ metrics, \d+ samples/).waitFor();
      await page.getByText("Current values").click();
      assert.match(await page.locator("pre.exposition").innerText(), /# TYPE \w+ \w+/);
      assert.equal(await page.getByRole("heading", { name: "Tokens" }).count(), 0);
      await rig.shot("system-metrics", { fullPage: true });

      // A page its role may not use says so instead of failing.
      await page.goto(`${rig.base}/#/cameras`);
      await page.getByText("This token has the metrics role").waitFor();
      assert.equal(await page.locator("article.camera").count(), 0);
      assert.deepEqual(rig.problems, []);
      assert.deepEqual(rig.dialogs, []);
    } finally {
      await rig.close();
    }
  },
});
