/**
 * ownerOnly() on a box that does not hold the camera: a client's own `x-vigil-forwarded` header
 * does not make it run the route, and a token that may not see the camera gets the route's 404
 * rather than a 307 or 503 that names the camera's owner.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  cameraInBody,
  cameraInPath,
  FORWARDED_HEADER,
  OWNER_ROUTES,
  ownerOnly,
} from "../../../routes/shared/owner.ts";
import { apiDocument } from "../../../scripts/api_types.ts";
import type { AppDeps } from "../../../routes/shared/app_deps.ts";
import type { TokenInfo } from "../../../models/auth.ts";

const CAMERA_A = "0192f000-0000-7000-8000-00000000000a";
const CAMERA_B = "0192f000-0000-7000-8000-000000000001";
// leaseOwner's query: every camera is held by box2.
const sql = (() => [{
  boxId: "box2",
  epoch: "3",
  baseUrl: "http://box2:8080",
  rtspUrl: "rtsp://box2:8554",
}]) as unknown;
const deps = {
  db: { sql },
  cluster: { boxId: "box1", sync: () => Promise.resolve(), settled: () => Promise.resolve() },
  fleet: { owned: () => new Map() },
} as unknown as AppDeps;

const LIMITED_TO_A: TokenInfo = {
  id: "t1",
  name: "viewer of A",
  role: "viewer",
  cameras: [CAMERA_A],
  createdAt: new Date(0).toISOString(),
  lastUsedAt: null,
};

function captureApp(): Hono {
  const app = new Hono();
  app.on("POST", "/api/cameras/:id/capture", ownerOnly(deps));
  app.post("/api/cameras/:id/capture", (c) => c.text("ran on box1"));
  return app;
}

Deno.test("ownerOnly: a non-owner answers 307 to the owner", async () => {
  const res = await captureApp().request(`/api/cameras/${CAMERA_B}/capture`, { method: "POST" });
  assert.equal(res.status, 307);
  assert.equal(res.headers.get("location"), `http://box2:8080/api/cameras/${CAMERA_B}/capture`);
});

Deno.test("ownerOnly: a client's own forwarded header does not run the route on a non-owner", async () => {
  const res = await captureApp().request(`/api/cameras/${CAMERA_B}/capture`, {
    method: "POST",
    headers: { [FORWARDED_HEADER]: "1" },
  });
  await res.body?.cancel();
  assert.equal(res.status, 307);
});

function liveApp(): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    c.set("token", LIMITED_TO_A);
    await next();
  });
  app.on("POST", "/api/live", ownerOnly(deps, cameraInBody));
  // The route: the token may not see the camera, so it answers 404.
  app.post("/api/live", (c) => c.json({ error: "not_found" }, 404));
  return app;
}

function postLive(app: Hono, camera: string): Promise<Response> {
  return Promise.resolve(app.request("/api/live", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ camera }),
  }));
}

Deno.test("ownerOnly: POST /api/live for a camera outside the token's scope is the route's 404", async () => {
  const res = await postLive(liveApp(), CAMERA_B);
  await res.body?.cancel();
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("location"), null);
});

Deno.test("ownerOnly: POST /api/live for the token's own camera still goes to its owner", async () => {
  const res = await postLive(liveApp(), CAMERA_A);
  assert.equal(res.status, 307);
  assert.equal(res.headers.get("location"), "http://box2:8080/api/live");
});

/** `/api/cameras/:id/ptz/presets/:name` → `/api/cameras/{id}/ptz/presets/{name}`. */
function documentPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, "{$1}");
}

Deno.test("every owner-only route declares its 307 with a Location header", async () => {
  const doc = await apiDocument() as unknown as {
    paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
  };
  for (const route of OWNER_ROUTES) {
    for (const method of route.methods) {
      const operation = doc.paths[documentPath(route.path)]?.[method.toLowerCase()];
      assert.ok(operation, `${method} ${route.path} is in the document`);
      const reply = operation.responses["307"] as
        | { headers?: Record<string, unknown> }
        | undefined;
      assert.ok(reply, `${method} ${route.path} declares 307`);
      assert.ok(reply.headers?.Location, `${method} ${route.path}'s 307 declares Location`);
    }
  }
});

Deno.test("every owner-only route answers 307 to the owner on a non-owner, PTZ included", async () => {
  const app = new Hono();
  for (const route of OWNER_ROUTES) {
    const owner = ownerOnly(deps, route.camera === "body" ? cameraInBody : cameraInPath);
    app.on([...route.methods], route.path, owner);
    app.on([...route.methods], route.path, (c) => c.text("ran on box1"));
  }
  for (const route of OWNER_ROUTES) {
    const path = route.path.replace(":id", CAMERA_B).replace(":name", "gate");
    for (const method of route.methods) {
      const res = await app.request(path, {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" ? undefined : JSON.stringify({ camera: CAMERA_B }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 307, `${method} ${route.path}`);
      assert.equal(res.headers.get("location"), `http://box2:8080${path}`);
    }
  }
});
