import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { apiDocument } from "../../scripts/api_types.ts";

interface Operation {
  security?: unknown[];
  responses: Record<string, unknown>;
  "x-roles"?: string[];
}
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

Deno.test("GET /api/openapi.json describes the routes, roles and errors without a token", async () => {
  const db = await openTestDatabase("embedded");
  const t = await startTestApp(db);
  try {
    const response = await t.app.request("/api/openapi.json");
    assert.equal(response.status, 200);
    const doc: Doc = await response.json();
    assert.equal(doc.openapi, "3.1.0");
    const bearer = doc.components.securitySchemes.bearer;
    assert.deepEqual([bearer?.type, bearer?.scheme], ["http", "bearer"]);
    const post = doc.paths["/api/tokens"]?.post;
    assert.ok(post, "POST /api/tokens is described");
    assert.deepEqual(post["x-roles"], ["admin"]);
    assert.deepEqual(
      Object.keys(post.responses).sort(),
      ["201", "400", "401", "403", "413", "415", "422", "429", "500"],
    );
    const health = doc.paths["/api/health"]?.get;
    assert.ok(health);
    assert.deepEqual(health.security, [], "health is open");
    assert.equal(health.responses["401"], undefined);
    assert.ok(doc.paths["/api/tokens/{id}"]?.delete?.responses["409"]);
  } finally {
    await t.close();
    await db.close();
  }
});

Deno.test("`deno task api-types` builds without a system the document the running app serves", async () => {
  const db = await openTestDatabase("embedded");
  const t = await startTestApp(db);
  try {
    const served = await (await t.app.request("/api/openapi.json")).json();
    assert.deepEqual(await apiDocument(), served);
  } finally {
    await t.close();
    await db.close();
  }
});

Deno.test("a body that fails its schema answers 422 naming each field", async (ctx) => {
  const db = await openTestDatabase("embedded");
  const t = await startTestApp(db);
  try {
    const cases: [string, unknown, number, string, RegExp][] = [
      [
        "an unknown field",
        { name: "x", role: "viewer", admin: true },
        422,
        "invalid_input",
        /^admin is not a known field$/,
      ],
      [
        "a wrong choice",
        { name: "x", role: "root" },
        422,
        "invalid_input",
        /^role must be one of admin, viewer, media, metrics$/,
      ],
      [
        "a missing field",
        { role: "viewer" },
        422,
        "invalid_input",
        /^name must be a string: current value is missing$/,
      ],
      [
        "a wrong type",
        { name: 7, role: "viewer" },
        422,
        "invalid_input",
        /^name must be a string: current value is 7$/,
      ],
      [
        "an empty name",
        { name: "", role: "viewer" },
        422,
        "invalid_input",
        /^name must be at least 1 character long$/,
      ],
      ["a JSON array", [], 422, "invalid_input", /^the body must be a JSON object$/],
      ["malformed JSON", "{nope", 400, "malformed_json", /not valid JSON/],
    ];
    for (const [name, body, status, code, message] of cases) {
      await ctx.step(name, async () => {
        const response = await t.call("POST", "/api/tokens", { body });
        assert.equal(response.status, status);
        const { error } = await response.json();
        assert.equal(error.code, code);
        assert.match(error.message, message);
      });
    }
    await ctx.step("a non-JSON content type is 415", async () => {
      const response = await t.app.request("/api/tokens", {
        method: "POST",
        headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "text/plain" },
        body: "name=x",
      });
      assert.equal(response.status, 415);
      assert.deepEqual(await response.json(), {
        error: { code: "unsupported_media_type", message: "the body must be application/json" },
      });
    });
    await ctx.step("a malformed path parameter is 400", async () => {
      const response = await t.call("DELETE", "/api/tokens/NOT-AN-ID");
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        error: { code: "invalid_input", message: "id must be a token id" },
      });
    });
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from tokens`;
    assert.equal(row?.n, 3, "only the test's own tokens exist");
  } finally {
    await t.close();
    await db.close();
  }
});

Deno.test("GET /api/docs serves the reference page and its assets from the box alone", async () => {
  const db = await openTestDatabase("embedded");
  const t = await startTestApp(db);
  try {
    const page = await t.app.request("/api/docs");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /https?:/, "nothing allowed from elsewhere");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(assets.sort(), ["docs/docs.css", "docs/docs.js", "openapi.json"]);
    for (const asset of ["docs/docs.js", "docs/docs.css"]) {
      const response = await t.app.request(`/api/${asset}`);
      assert.equal(response.status, 200, asset);
      assert.doesNotMatch(await response.text(), /https?:\/\//, `${asset} fetches nothing remote`);
    }
  } finally {
    await t.close();
    await db.close();
  }
});
