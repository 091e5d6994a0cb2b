/**
 * The console's one contract with the API: web/lib/api.gen.ts is what `deno task api-types`
 * makes from the API document today, and web/lib/types.ts names the document's schemas from it.
 */
import assert from "node:assert/strict";
import { API_TYPES_FILE, apiDocument, apiTypesSource } from "../../scripts/api_types.ts";

const document = await apiDocument();
const schemas = Object.keys(document.components?.schemas ?? {});
const committed = await Deno.readTextFile(API_TYPES_FILE);
const consoleTypes = await Deno.readTextFile(new URL("../../web/lib/types.ts", import.meta.url));

Deno.test("the committed API types are a fresh generation (else run `deno task api-types`)", async () => {
  assert.ok(schemas.length > 0, "the document has component schemas");
  const fresh = await apiTypesSource(document);
  assert.ok(
    committed === fresh,
    "web/lib/api.gen.ts is stale: the API document changed since it was generated; " +
      "run `deno task api-types` and commit the result",
  );
});

Deno.test("the generated file declares every component schema of the document", () => {
  const block = /^ {2}schemas: \{\n([\s\S]*?)^ {2}\};/m.exec(committed)?.[1] ?? "";
  const declared = new Set([...block.matchAll(/^ {4}(\w+): /gm)].map((match) => match[1]));
  const missing = schemas.filter((name) => !declared.has(name));
  assert.deepEqual(missing, []);
});

Deno.test("the console's types name at least 90% of the document's component schemas", () => {
  const named = new Set([...consoleTypes.matchAll(/Schema<"(\w+)">/g)].map((match) => match[1]));
  const unnamed = schemas.filter((name) => !named.has(name));
  const share = (schemas.length - unnamed.length) / schemas.length;
  assert.ok(
    share >= 0.9,
    `${Math.floor(share * 100)}% named; not named in web/lib/types.ts: ${unnamed.join(", ")}`,
  );
  const unknown = [...named].filter((name) => name === undefined || !schemas.includes(name));
  assert.deepEqual(unknown, [], "types.ts names only schemas the document has");
});
