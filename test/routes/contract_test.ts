import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { findOperation, HTTP_METHODS } from "../support/contract.ts";
import { CLUSTER_SCHEME } from "../../routes/openapi.ts";

async function withApp(run: (t: TestApp) => Promise<void>): Promise<void> {
  const db = await openTestDatabase("embedded");
  const t = await startTestApp(db);
  try {
    await run(t);
  } finally {
    await t.close();
    await db.close();
  }
}

Deno.test("GET /api/openapi.json is a valid OpenAPI 3.1 document", async () => {
  await withApp(async (t) => {
    const validator = new Validator();
    const document: Record<string, unknown> = structuredClone({ ...t.contract.document });
    const result = await validator.validate(document);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
    assert.equal(validator.version, "3.1");
  });
});

Deno.test("every route the app serves is in the document, and nothing else is", async () => {
  await withApp((t) => {
    const served = new Set<string>();
    for (const route of t.app.routes) {
      const method = route.method.toLowerCase();
      if (!(HTTP_METHODS as readonly string[]).includes(method) || route.path.includes("*")) {
        continue; // middleware
      }
      served.add(`${method} ${route.path.replaceAll(/:([^/]+)/g, "{$1}")}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(t.contract.document.paths)) {
      for (const method of HTTP_METHODS) if (item[method]) documented.add(`${method} ${path}`);
    }
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], "served, not documented");
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], "documented, not served");
    assert.ok(served.size >= 25, `only ${served.size} routes found`);
    return Promise.resolve();
  });
});

Deno.test("every protected operation names its roles and its error replies", async () => {
  await withApp((t) => {
    for (const [path, item] of Object.entries(t.contract.document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const name = `${method.toUpperCase()} ${path}`;
        const open = Array.isArray(operation.security) && operation.security.length === 0;
        const roles = operation["x-roles"];
        // Box to box (the cluster's segment fetch): no user role may call it.
        const security: unknown = operation.security;
        const boxOnly = Array.isArray(security) &&
          security.some((s) => typeof s === "object" && s !== null && CLUSTER_SCHEME in s);
        if (boxOnly) assert.deepEqual(roles, [], `${name} is for boxes only`);
        else assert.ok(open || (Array.isArray(roles) && roles.includes("admin")), `${name} roles`);
        assert.ok(open || operation.responses["401"], `${name} documents 401`);
        assert.ok(operation.responses["500"], `${name} documents 500`);
        assert.equal(typeof operation.summary, "string", `${name} has a summary`);
      }
    }
    return Promise.resolve();
  });
});

Deno.test("the contract check refuses replies that differ from the document", async (ctx) => {
  await withApp(async (t) => {
    const check = (path: string, status: number, body: unknown, method = "GET") =>
      t.contract.check(
        new Request(`http://localhost${path}`, { method }),
        Response.json(body, { status }),
      );
    const camera = {
      id: "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e",
      name: "door",
      rtspUrl: "rtsp://127.0.0.1:9/x",
      recordUrl: null,
      analysisUrl: null,
      analysis: {
        from: "rtspUrl",
        url: "rtsp://127.0.0.1:9/x",
        path: "/cam/0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6e/sub",
        profile: null,
      },
      username: null,
      hasPassword: false,
      transport: "tcp",
      desired: {},
      createdAt: "2026-11-25T14:00:00.000Z",
      updatedAt: "2026-11-25T14:00:00.000Z",
      onvif: null,
      suspectedMove: null,
      box: null,
      state: {
        stream: "offline",
        analytics: "detached",
        recording: "idle",
        lastFrameAt: null,
        fps: null,
        reconnects: 0,
        lastError: null,
        hub: [],
      },
    };
    const id = `/api/cameras/${camera.id}`;
    await ctx.step("a conforming reply passes", async () => {
      assert.equal(await check(id, 200, camera), undefined);
    });
    await ctx.step("a missing field", async () => {
      const { name: _, ...nameless } = camera;
      assert.match((await check(id, 200, nameless))!, /must have required property 'name'/);
    });
    await ctx.step("a wrong type", async () => {
      assert.match((await check(id, 200, { ...camera, hasPassword: "yes" }))!, /hasPassword/);
    });
    await ctx.step("an undocumented status", async () => {
      assert.match((await check(id, 418, camera))!, /status not documented/);
    });
    await ctx.step("an error reply not in our shape", async () => {
      assert.match((await check(id, 404, { message: "nope" }))!, /required property 'error'/);
    });
    await ctx.step("a route missing from the document", async () => {
      assert.match((await check("/api/cameras", 200, {}, "PUT"))!, /no operation/);
    });
  });
});

Deno.test("findOperation() prefers a static segment over a parameter", () => {
  const document = {
    openapi: "3.1.0",
    paths: {
      "/api/events/{id}": { get: { responses: {} } },
      "/api/events/stream": { get: { responses: {} } },
    },
  };
  assert.equal(findOperation(document, "GET", "/api/events/stream")?.path, "/api/events/stream");
  assert.equal(findOperation(document, "GET", "/api/events/abc")?.path, "/api/events/{id}");
  assert.equal(findOperation(document, "POST", "/api/events/abc"), undefined);
});
