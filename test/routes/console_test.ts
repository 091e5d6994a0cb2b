/**
 * The web console as the server serves it: the page, its files, the security headers, caching,
 * and a failed build.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { CONSOLE_CSP, CONSOLE_RETRY_MS, consoleBuilder } from "../../routes/console.ts";
import type { ConsoleFiles } from "../../web/build.ts";
import { VigilError } from "../../models/errors.ts";

Deno.test({
  name: "GET / serves the console with a strict CSP; its script and style come from the box",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      const page = await app.app.request("/");
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
      const html = await page.text();
      await t.step("the policy allows scripts from this box only, and no HTML sinks", () => {
        const csp = page.headers.get("content-security-policy") ?? "";
        assert.equal(csp, CONSOLE_CSP);
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:/);
        assert.match(csp, /require-trusted-types-for 'script'/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.equal(page.headers.get("x-content-type-options"), "nosniff");
        assert.equal(page.headers.get("referrer-policy"), "no-referrer");
      });
      await t.step("the page has no inline script and loads nothing from elsewhere", () => {
        for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) {
          assert.match(tag, /src="\/console\/[^"]+"/, tag);
          assert.match(tag, /><\/script>$/, "no inline code");
        }
        assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
        assert.doesNotMatch(html, /\son[a-z]+=/i, "no inline handlers");
      });
      await t.step("the script is served, and revalidates with its ETag", async () => {
        const js = await app.app.request("/console/main.js");
        assert.equal(js.status, 200);
        assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
        assert.equal(js.headers.get("cache-control"), "no-cache");
        assert.ok((await js.text()).length > 1000);
        const etag = js.headers.get("etag")!;
        const again = await app.app.request("/console/main.js", {
          headers: { "if-none-match": etag },
        });
        assert.equal(again.status, 304);
      });
      await t.step("an unknown file is 404, a path-like name 400", async () => {
        const cases: [string, number][] = [
          ["/console/nope.js", 404],
          ["/console/..%2Fbuild.ts", 400],
          ["/console/build.ts", 400],
        ];
        for (const [path, status] of cases) {
          const response = await app.app.request(path);
          assert.equal(response.status, status, path);
          assert.ok((await response.json()).error.code, path);
        }
      });
      await t.step("the API still needs a token and answers JSON 404s", async () => {
        assert.equal((await app.app.request("/api/cameras")).status, 401);
        assert.equal((await app.app.request("/nothing")).status, 404);
      });
    } finally {
      await app.close();
      await db.close();
    }
  },
});

Deno.test("a failed console build answers 503; requests after it start no new build until its retry time, which doubles", async () => {
  let calls = 0;
  let clock = 0;
  const files: ConsoleFiles = new Map();
  const get = consoleBuilder(() => {
    calls += 1;
    return calls <= 2 ? Promise.reject(new Error("bundler missing")) : Promise.resolve(files);
  }, () => clock);
  const unavailable = (error: unknown) => {
    assert.ok(error instanceof VigilError);
    assert.equal(error.status, 503);
    return true;
  };
  await assert.rejects(get(), unavailable);
  for (let i = 0; i < 100; i++) await assert.rejects(get(), unavailable);
  assert.equal(calls, 1, "a hundred requests after a failure start no build");
  clock = CONSOLE_RETRY_MS;
  await assert.rejects(get(), unavailable);
  assert.equal(calls, 2, "the retry time has come: one build");
  clock += CONSOLE_RETRY_MS;
  await assert.rejects(get(), unavailable);
  assert.equal(calls, 2, "a second failure waits twice as long");
  clock += CONSOLE_RETRY_MS;
  assert.equal(await get(), files);
  assert.equal(await get(), files);
  assert.equal(calls, 3, "a good build is kept");
});

Deno.test("no console source writes HTML from a string", async () => {
  const sinks =
    /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser)\b/;
  const web = new URL("../../web/", import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (path.endsWith(".ts") && sinks.test(await Deno.readTextFile(path))) {
        offenders.push(path);
      }
    }
  };
  await walk(web);
  assert.deepEqual(offenders, []);
});
