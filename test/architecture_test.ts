/**
 * The shape of the codebase, checked: folder and file sizes, where processes are spawned, which
 * layer may import which, no import cycles, no re-export shims, no hand-rolled encoders. These
 * are the rules of GUIDE §2 and §6 that a reviewer would otherwise have to remember.
 *
 * @module
 */
import assert from "node:assert/strict";
import { productFiles, valueImportCycles } from "./support/source_tree.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const files = await productFiles(ROOT);
const server = files.filter((f) => !f.path.startsWith("web/") || f.path === "web/build.ts");

Deno.test("no product folder holds more than 25 source files directly", () => {
  const perFolder = new Map<string, number>();
  for (const { path } of files) {
    const folder = path.slice(0, path.lastIndexOf("/") + 1) || "./";
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
  }
  const crowded = [...perFolder].filter(([, n]) => n > 25);
  assert.deepEqual(crowded, []);
});

Deno.test("no product file is over 450 lines", () => {
  // A generated file's length is the API document's (test/web/api_types_test.ts keeps it fresh).
  const written = files.filter((f) => !f.path.endsWith(".gen.ts"));
  const long = written.filter((f) => f.lines > 450).map((f) => `${f.path} (${f.lines})`);
  assert.deepEqual(long, []);
});

Deno.test("processes are spawned in at most two server files", () => {
  const spawners = server.filter((f) => /new Deno\.Command\b/.test(f.text)).map((f) => f.path);
  assert.ok(spawners.length <= 2, `new Deno.Command in: ${spawners.join(", ")}`);
});

Deno.test("server code has no hand-rolled base64 or hex", () => {
  const handRolled = server.filter((f) =>
    /\b(btoa|atob)\(|toString\(16\)\.padStart\(2|String\.fromCharCode\(\.\.\./.test(f.text)
  ).map((f) => f.path);
  assert.deepEqual(handRolled, []);
});

Deno.test("layers import downwards only: models never actors or routes, actors never routes", () => {
  const wrong: string[] = [];
  for (const f of files) {
    for (const target of f.imports.map((i) => i.target)) {
      const layer = (p: string) => p.split("/")[0];
      const from = layer(f.path);
      const to = layer(target);
      if (from === "models" && (to === "actors" || to === "routes")) {
        wrong.push(`${f.path} → ${target}`);
      }
      if (from === "actors" && to === "routes") wrong.push(`${f.path} → ${target}`);
      if (from === "routes" && to === "routes" && f.path !== "routes/app.ts" && !isShared(target)) {
        wrong.push(`${f.path} → ${target}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

/** Route modules that are not routes: the app assembles them, and every route uses these. */
function isShared(path: string): boolean {
  return /^routes\/(schemas|openapi|http)\b/.test(path) || path.startsWith("routes/shared/");
}

Deno.test("no value-import cycle between product files", () => {
  assert.deepEqual(valueImportCycles(files), []);
});

Deno.test("no import cycle between product files, type-only imports included", () => {
  assert.deepEqual(valueImportCycles(files, { typeImportCycles: true }), []);
});

Deno.test("no product file re-exports another module's names: importers use the owner", () => {
  const shims: string[] = [];
  for (const f of files) {
    const imported = new Set(
      [...f.text.matchAll(/^\s*import\s+(?:type\s+)?\{([^}]*)\}\s*from/gm)].flatMap((m) =>
        m[1]!.split(",").map((n) => n.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()!)
      ),
    );
    for (const m of f.text.matchAll(/^\s*export\s+(?:type\s+)?(\*|\{([^}]*)\})\s*(from\b)?/gm)) {
      const names = (m[2] ?? "").split(",").map((n) => n.trim().replace(/^type\s+/, ""));
      if (m[1] === "*" || m[3] || names.some((n) => imported.has(n))) {
        shims.push(`${f.path}: ${m[0].replace(/\s+/g, " ").trim()}`);
      }
    }
  }
  assert.deepEqual(shims, []);
});

Deno.test("docs/decisions holds at least three decision records", async () => {
  const records: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}docs/decisions`)) {
    if (entry.isFile && entry.name.endsWith(".md")) records.push(entry.name);
  }
  assert.ok(records.length >= 3, `decision records: ${records.join(", ")}`);
});

Deno.test("every package in deno.json's imports is used by some source file", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    imports: Record<string, string>;
  };
  const everything = await productFiles(ROOT, { include: ["scripts", "test"] });
  const unused = Object.keys(config.imports).filter((name) =>
    !name.endsWith("/") &&
    !everything.some((f) =>
      f.imports.some((i) => i.specifier === name || i.specifier.startsWith(`${name}/`)) ||
      f.text.includes(`import("${name}")`)
    )
  );
  assert.deepEqual(unused, []);
});
