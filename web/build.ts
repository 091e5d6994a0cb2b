/**
 * Builds the web console for serving: `deno bundle` (Deno's built-in esbuild) turns
 * `web/main.ts` and the npm modules it imports (hls.js) into browser ES modules, split so the
 * video player loads only on the pages that play video. This file runs in Deno, on the server;
 * everything else in `web/` runs in the browser.
 *
 * Bundling happens when the server starts (and once in `scripts/setup.sh`, which also caches the
 * bundler, so a box without internet can still build): the served console always matches the
 * checkout, and nothing is fetched from a CDN by the browser.
 *
 * @module
 */
import { extname, join } from "node:path";
import { runProcess } from "../actors/process/run.ts";

/** One file of the built console. */
export interface ConsoleFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Quoted strong ETag (SHA-256 of the body, hex, shortened). */
  etag: string;
  /** Names with a content hash (split chunks) never change: they may be cached for good. */
  immutable: boolean;
}

/** The built console: file name (no slashes) → file. */
export type ConsoleFiles = ReadonlyMap<string, ConsoleFile>;

const WEB_DIR = new URL(".", import.meta.url).pathname;
/** Files copied as they are, beside the bundle. */
const STATIC_FILES = ["index.html", "app.css", "icon.svg"];
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};
/** esbuild names split chunks `<name>-<HASH>.js`. */
const HASHED = /-[A-Z0-9]{8}\.js$/;

/** The console could not be built. */
export class ConsoleBuildError extends Error {
  /** Machine-readable code. */
  readonly code = "console_build_failed";
  /** @param message what the bundler said */
  constructor(message: string) {
    super(`console: bundling failed: ${message}`);
    this.name = "ConsoleBuildError";
  }
}

async function describe(name: string, body: Uint8Array<ArrayBuffer>): Promise<ConsoleFile> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hex = digest.subarray(0, 16).toHex();
  return {
    body,
    contentType: TYPES[extname(name)] ?? "application/octet-stream",
    etag: `"${hex}"`,
    immutable: HASHED.test(name),
  };
}

/**
 * Bundles the console into memory.
 *
 * @param options `minify` (default true)
 * @returns every file to serve, by name
 * @throws {ConsoleBuildError} when the bundler fails (its message included)
 * @example
 * ```ts
 * const files = await buildConsole();
 * files.get("main.js");
 * ```
 */
export async function buildConsole(options: { minify?: boolean } = {}): Promise<ConsoleFiles> {
  const outdir = await Deno.makeTempDir({ prefix: "vigil-console-" });
  try {
    const args = [
      "bundle",
      "--quiet",
      "--platform=browser",
      "--format=esm",
      "--code-splitting",
      `--outdir=${outdir}`,
      ...(options.minify === false ? [] : ["--minify"]),
      join(WEB_DIR, "main.ts"),
    ];
    const out = await runProcess(Deno.execPath(), { args, cwd: join(WEB_DIR, "..") });
    if (!out.status.success) {
      // deno colours its messages; the log line should be plain.
      // deno-lint-ignore no-control-regex -- the escape character is what is removed
      const text = out.stderrTail.join(" ").replace(/\x1b\[[0-9;]*m/g, "");
      throw new ConsoleBuildError(text.trim());
    }
    const files = new Map<string, ConsoleFile>();
    for await (const entry of Deno.readDir(outdir)) {
      if (!entry.isFile) continue;
      files.set(
        entry.name,
        await describe(entry.name, await Deno.readFile(join(outdir, entry.name))),
      );
    }
    if (!files.has("main.js")) throw new ConsoleBuildError("no main.js was written");
    for (const name of STATIC_FILES) {
      files.set(name, await describe(name, await Deno.readFile(join(WEB_DIR, name))));
    }
    return files;
  } finally {
    await Deno.remove(outdir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  // `deno run -A web/build.ts`: builds once and prints the sizes (setup runs it to cache the
  // bundler and to fail early).
  const started = performance.now();
  const files = await buildConsole();
  for (const [name, file] of files) console.log(`${name}\t${file.body.length} bytes`);
  console.log(`built in ${Math.round(performance.now() - started)} ms`);
}
