/**
 * Who may read and publish on the relay, against a real token table.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { relayAuthorizer } from "../../actors/rtsp_auth.ts";
import type { RtspAuthRequest } from "../../actors/rtsp_server.ts";
import { createToken, revokeToken } from "../../models/auth.ts";
import { openRelayKeys } from "../../models/relay_keys.ts";
import { digestResponse } from "../../models/rtsp/auth.ts";
import { signPath } from "../../models/rtsp/signed_url.ts";

Deno.test("tokens scoped to cameras (issue 17): the relay lets a limited token read only its cameras", async () => {
  const db = await openTestDatabase("embedded");
  try {
    const keys = await openRelayKeys(db.dataDir);
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [id, name] of [[a, "a"], [b, "b"]] as const) {
      await db.sql`insert into cameras (id, name, source_url) values (${id}, ${name}, 'rtsp://x')`;
    }
    const { token } = await createToken(db.sql, "porch", "viewer", [a]);
    const authorize = relayAuthorizer({ sql: db.sql, keys, auth: true });
    const read = (path: string) =>
      authorize({
        action: "read",
        path,
        query: {},
        credentials: { scheme: "basic", username: "any", password: token },
        method: "DESCRIBE",
        remote: "127.0.0.1:1",
      });
    assert.deepEqual(await read(`/cam/${a}`), { allowed: true });
    assert.deepEqual(await read(`/cam/${a}/sub`), { allowed: true });
    assert.deepEqual(await read(`/cam/${b}`), { allowed: false, status: 403 });
    assert.deepEqual(await read(`/cam/${b}/main`), { allowed: false, status: 403 });
    assert.deepEqual(await read("/live/session1"), { allowed: false, status: 403 });
  } finally {
    await db.close();
  }
});

Deno.test("the relay lets in tokens, signed URLs and Vigil itself, and only Vigil publishes", async (t) => {
  const db = await openTestDatabase("embedded");
  try {
    const keys = await openRelayKeys(db.dataDir);
    assert.deepEqual(await openRelayKeys(db.dataDir), keys, "the key is kept in the data dir");
    const { token: viewer, info } = await createToken(db.sql, "tv", "viewer");
    const { token: media } = await createToken(db.sql, "ms", "media");
    const on = relayAuthorizer({ sql: db.sql, keys, auth: true });
    const off = relayAuthorizer({ sql: db.sql, keys, auth: false });
    const now = Math.floor(Date.now() / 1000);
    const signed = (path: string, exp: number) =>
      Object.fromEntries(new URLSearchParams(signPath(keys.signingKey, path, exp)));
    const basic = (username: string, password: string) => ({
      scheme: "basic" as const,
      username,
      password,
    });
    const digestFields = {
      username: keys.internal.username,
      realm: "Vigil",
      nonce: "n1",
      uri: "rtsp://h/cam/1",
      qop: undefined,
      nc: undefined,
      cnonce: undefined,
    };
    const digest = (password: string) => ({
      scheme: "digest" as const,
      ...digestFields,
      response: digestResponse(digestFields, password, "DESCRIBE"),
    });
    const ask = (
      auth: typeof on,
      action: "read" | "publish",
      credentials: RtspAuthRequest["credentials"],
      query: Record<string, string> = {},
      path = "/cam/1",
    ) => auth({ action, path, query, credentials, method: "DESCRIBE", remote: "127.0.0.1:1" });
    const internal = basic("vigil", keys.internal.password);
    const cases: [string, Promise<unknown>, unknown][] = [
      ["Vigil reads", ask(on, "read", internal), { allowed: true, internal: true }],
      ["Vigil publishes", ask(on, "publish", internal), { allowed: true, internal: true }],
      ["Vigil with Digest", ask(on, "read", digest(keys.internal.password)), {
        allowed: true,
        internal: true,
      }],
      ["a wrong Digest", ask(on, "read", digest("nope")), { allowed: false }],
      ["the secret under another user", ask(on, "read", basic("x", keys.internal.password)), {
        allowed: false,
      }],
      ["a viewer token reads", ask(on, "read", basic("any", viewer)), { allowed: true }],
      ["a media token reads", ask(on, "read", basic("", media)), { allowed: true }],
      ["a token cannot publish", ask(on, "publish", basic("any", viewer)), { allowed: false }],
      ["a wrong token", ask(on, "read", basic("any", viewer.slice(0, -1) + "x")), {
        allowed: false,
      }],
      ["nothing", ask(on, "read", null), { allowed: false }],
      ["a signed URL", ask(on, "read", null, signed("/cam/1", now + 60)), { allowed: true }],
      ["an expired one", ask(on, "read", null, signed("/cam/1", now - 1)), { allowed: false }],
      ["one for another path", ask(on, "read", null, signed("/cam/2", now + 60)), {
        allowed: false,
      }],
      ["a signed URL cannot publish", ask(on, "publish", null, signed("/cam/1", now + 60)), {
        allowed: false,
      }],
      ["auth off: anyone reads", ask(off, "read", null), { allowed: true }],
      ["auth off: nobody else publishes", ask(off, "publish", null), { allowed: false }],
    ];
    for (const [name, decision, want] of cases) {
      await t.step(name, async () => assert.deepEqual(await decision, want));
    }
    await t.step("a revoked token is refused", async () => {
      await revokeToken(db.sql, info.id);
      assert.deepEqual(await ask(on, "read", basic("any", viewer)), { allowed: false });
    });
  } finally {
    await db.close();
  }
});
