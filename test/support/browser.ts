/**
 * Browser tests of the web console: the real server (the system main.ts runs, served on a free
 * port on 127.0.0.1) and Debian's Chromium driven by playwright-core. Chromium runs headless
 * with a fresh profile, with nothing that reaches out (no background networking, updates, sync
 * or QUIC), and playwright never downloads a browser: it is given `/usr/bin/chromium`.
 *
 * The rig records what must never happen on a console page — a native dialog, a Content
 * Security Policy violation, an uncaught error — so each test can assert there was none.
 *
 * @module
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { openTestDatabase, type TestDatabase } from "./databases.ts";
import { startTestApp, type TestApp } from "./app.ts";

/** Debian's Chromium (scripts/setup.sh installs it). */
export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots go here (gitignored). */
export const ARTIFACTS = new URL("../../test-artifacts/console/", import.meta.url).pathname;

const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A server, a browser and a page. */
export interface ConsoleRig {
  db: TestDatabase;
  app: TestApp;
  /** `http://127.0.0.1:<port>` */
  base: string;
  browser: BrowserContext;
  page: Page;
  /** Dialogs the page opened (each dismissed at once). */
  dialogs: string[];
  /** CSP violations, uncaught errors and console errors of the page. */
  problems: string[];
  /** Opens the console and signs in with a token (default: admin). */
  signIn(token?: string): Promise<void>;
  /** Saves a screenshot `<name>.png` in {@linkcode ARTIFACTS}. */
  shot(name: string, options?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the rig.
 *
 * @param options viewport size (default 1280x800)
 * @returns the rig; `close()` stops the browser, the server, the system and the database
 */
export async function startConsoleRig(
  options: { width?: number; height?: number } = {},
): Promise<ConsoleRig> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh`);
  }
  const db = await openTestDatabase("postgres");
  const app = await startTestApp(db);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    app.app.fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const profile = await Deno.makeTempDir({ prefix: "vigil-chromium-" });
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // A 4xx the page asked for and showed is not a problem; a policy violation always is.
    if (/Content Security Policy|Trusted Type/i.test(text)) problems.push(`csp: ${text}`);
  });
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  return {
    db,
    app,
    base,
    browser,
    page,
    dialogs,
    problems,
    async signIn(token = app.tokens.admin) {
      await page.goto(`${base}/`);
      await page.getByLabel("Access token").fill(token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "Sign out" }).waitFor();
    },
    async shot(name, shotOptions = {}) {
      const path = `${ARTIFACTS}${name}.png`;
      // A full-page shot of a scrolled page draws the sticky bar mid-page.
      if (shotOptions.fullPage) await page.mouse.wheel(0, -100_000);
      await page.screenshot({ path, fullPage: shotOptions.fullPage ?? false });
      return path;
    },
    async close() {
      await browser.close().catch(() => {});
      await server.shutdown();
      await app.close();
      await db.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
