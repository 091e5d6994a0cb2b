/**
 * Cases the route fuzzer (test/routes/fuzz_test.ts) found, kept as plain regression tests: each
 * answered 500, or a status its route does not document, before its fix; each must answer a
 * documented 4xx (the test app checks every reply against the document) and store nothing.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp } from "../support/app.ts";
import { storedState } from "../support/fuzz.ts";

Deno.test({
  name: "fuzzer finds: requests that answered 500 now answer 4xx and store nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      const created = await app.call("POST", "/api/cameras", {
        body: { name: "gate", rtspUrl: "rtsp://127.0.0.1:9/s" },
      });
      const { id } = await created.json();
      const cases: [string, string, string, unknown?][] = [
        // zod ran the from < to refinement on a `from` that had failed its own check.
        [
          "a malformed from with a valid to",
          "GET",
          "/api/detections?from=PAp&to=2026-11-25T14:00:00Z",
        ],
        ["the same on events", "GET", "/api/events?to=2026-11-25T14:00:00Z&from=x"],
        // PostgreSQL refuses NUL in text: it must be refused before it reaches the database.
        ["a token name with a NUL", "POST", "/api/tokens", { name: "a\u0000b", role: "viewer" }],
        ["a token name with a control character", "POST", "/api/tokens", {
          name: "a\u0007",
          role: "viewer",
        }],
        ["an RTSP user name with a NUL", "POST", "/api/cameras", {
          name: "nul user",
          rtspUrl: "rtsp://a%00b:pw@127.0.0.1:9/s",
        }],
        ["an ONVIF user name with a NUL", "POST", "/api/cameras", {
          name: "nul onvif",
          onvif: { host: "127.0.0.1", port: 9, username: "a\u0000", password: "" },
        }],
        // Found by the parser fuzzer: the password was stored, but never sent without a user.
        ["an RTSP password without a user name", "POST", "/api/cameras", {
          name: "no user",
          rtspUrl: "rtsp://:secret@127.0.0.1:9/s",
        }],
        // The body limit answered 413 to a DELETE, whose document has no 413: bodies are only
        // read (and limited) for POST, PUT and PATCH.
        [
          "a DELETE with a body over the limit",
          "DELETE",
          `/api/cameras/${crypto.randomUUID()}`,
          "x".repeat(1_100_000),
        ],
        ["an RTSP user name with a NUL on PATCH", "PATCH", `/api/cameras/${id}`, {
          rtspUrl: "rtsp://a%00b:pw@127.0.0.1:9/s",
        }],
      ];
      for (const [name, method, path, body] of cases) {
        await t.step(name, async () => {
          const before = await storedState(db.sql);
          const reply = await app.call(method, path, { body });
          const text = await reply.text();
          assert.ok(reply.status >= 400 && reply.status < 500, `${reply.status}: ${text}`);
          assert.match(JSON.parse(text).error.code, /^[a-z_]+$/);
          assert.equal(await storedState(db.sql), before, "nothing stored");
        });
      }
    } finally {
      await app.close();
      await db.close();
    }
  },
});
