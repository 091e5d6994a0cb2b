/**
 * Who may read and publish on the relay, against a real token table.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../../support/databases.ts";
import { relayAuthorizer } from "../../../actors/stream/rtsp_auth.ts";
import type {
  RtspAuthDecision,
  RtspAuthRequest,
} from "../../../actors/stream/rtsp_server_types.ts";
import { createToken, revokeToken } from "../../../models/auth.ts";
import { internalCredentials, openRelayKeys } from "../../../models/relay_keys.ts";
import { digestResponse } from "../../../models/rtsp/auth.ts";
import { signPath } from "../../../models/rtsp/signed_url.ts";
import { AuthLimiter } from "../../../models/auth_limiter.ts";

/** A decision without its re-check function (a token grant carries one), for deepEqual. */
function withoutRecheck(decision: RtspAuthDecision): RtspAuthDecision {
  if (!decision.allowed) return decision;
  const { stillValid: _, ...rest } = decision;
  return rest;
}

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
      }).then(withoutRecheck);
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
    // A roomy limiter: this test's refused cases all come from one host (limits are tested below).
    const limiter = new AuthLimiter({ burst: 1000 });
    const on = relayAuthorizer({ sql: db.sql, keys, auth: true, limiter });
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
      username: "vigil",
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
    ) =>
      auth({ action, path, query, credentials, method: "DESCRIBE", remote: "127.0.0.1:1" })
        .then(withoutRecheck);
    const own = (action: "read" | "publish", path: string) =>
      internalCredentials(keys, action, path).password;
    const internal = basic("vigil", own("read", "/cam/1"));
    const internalPublish = basic("vigil.0a1b", own("publish", "/cam/1"));
    const cases: [string, Promise<unknown>, unknown][] = [
      ["Vigil reads", ask(on, "read", internal), { allowed: true, internal: true }],
      ["Vigil publishes", ask(on, "publish", internalPublish), { allowed: true, internal: true }],
      ["the read credential cannot publish", ask(on, "publish", internal), { allowed: false }],
      ["the publish credential cannot read", ask(on, "read", internalPublish), { allowed: false }],
      ["another path's credential", ask(on, "read", basic("vigil", own("read", "/cam/2"))), {
        allowed: false,
      }],
      ["a user that is not Vigil's", ask(on, "read", basic("vigil.X/", own("read", "/cam/1"))), {
        allowed: false,
      }],
      ["Vigil with Digest", ask(on, "read", digest(own("read", "/cam/1"))), {
        allowed: true,
        internal: true,
      }],
      ["a wrong Digest", ask(on, "read", digest("nope")), { allowed: false }],
      ["the secret under another user", ask(on, "read", basic("x", own("read", "/cam/1"))), {
        allowed: false,
      }],
      ["a viewer token reads", ask(on, "read", basic("any", viewer)), { allowed: true }],
      ["a media token reads", ask(on, "read", basic("", media)), { allowed: true }],
      ["a token cannot publish", ask(on, "publish", basic("any", viewer)), { allowed: false }],
      [
        "a wrong token",
        ask(on, "read", basic("any", viewer.slice(0, -1) + (viewer.endsWith("x") ? "y" : "x"))),
        {
          allowed: false,
        },
      ],
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

Deno.test("the relay applies the failed-authentication rate limit: refused credentials count per host, requests without none do not, and a blocked host is refused even with a good token", async () => {
  const db = await openTestDatabase("embedded");
  try {
    const keys = await openRelayKeys(db.dataDir);
    const { token } = await createToken(db.sql, "tv", "viewer");
    const limiter = new AuthLimiter({ burst: 3, refillMs: 60_000 });
    const authorize = relayAuthorizer({ sql: db.sql, keys, auth: true, limiter });
    const read = (remote: string, password?: string, query: Record<string, string> = {}) =>
      authorize({
        action: "read",
        path: "/cam/x",
        query,
        credentials: password === undefined ? null : { scheme: "basic", username: "u", password },
        method: "DESCRIBE",
        remote,
      });
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await read("192.0.2.1:5000"), { allowed: false }, "no credentials");
    }
    assert.equal(limiter.blockedFor("192.0.2.1"), 0, "asking without credentials is not a failure");
    assert.deepEqual(withoutRecheck(await read("192.0.2.1:5000", token)), { allowed: true });
    assert.deepEqual(await read("192.0.2.2:5001", "wrong"), { allowed: false });
    assert.deepEqual(await read("192.0.2.2:5002", "wrong"), { allowed: false });
    assert.deepEqual(await read("192.0.2.2:5003", "x", { exp: "1", sig: "bad" }), {
      allowed: false,
    });
    assert.ok(limiter.blockedFor("192.0.2.2") > 0, "three refused credentials block the host");
    assert.deepEqual(await read("192.0.2.2:5004", token), { allowed: false, status: 403 });
    assert.deepEqual(withoutRecheck(await read("192.0.2.1:5005", token)), { allowed: true });
    // Vigil's own credentials are exempt: a local guesser cannot lock out the hub.
    const internal = await authorize({
      action: "publish",
      path: "/cam/x",
      query: {},
      credentials: { scheme: "basic", ...internalCredentials(keys, "publish", "/cam/x") },
      method: "ANNOUNCE",
      remote: "192.0.2.2:5006",
    });
    assert.deepEqual(internal, { allowed: true, internal: true });
  } finally {
    await db.close();
  }
});

Deno.test("revocation cuts off the relay: a token's grant and the URLs it signed lapse once it is revoked", async () => {
  const db = await openTestDatabase("embedded");
  try {
    const keys = await openRelayKeys(db.dataDir);
    const { token, info } = await createToken(db.sql, "tv", "viewer");
    const authorize = relayAuthorizer({ sql: db.sql, keys, auth: true });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const query = Object.fromEntries(
      new URLSearchParams(signPath(keys.signingKey, "/cam/x", exp, info.id)),
    );
    assert.equal(query.tok, info.id, "the signed URL names its token");
    const ask = (q: Record<string, string>, password?: string) =>
      authorize({
        action: "read",
        path: "/cam/x",
        query: q,
        credentials: password ? { scheme: "basic", username: "u", password } : null,
        method: "DESCRIBE",
        remote: "192.0.2.3:4000",
      });
    const byToken = await ask({}, token);
    const bySignature = await ask(query);
    assert.ok(byToken.allowed && byToken.stillValid, "a token grant is re-checkable");
    assert.ok(bySignature.allowed && bySignature.stillValid, "so is a signed URL's");
    assert.equal(await byToken.stillValid(), true);
    assert.deepEqual(
      await ask({ ...query, tok: "zzzzzzzzzzzz" }),
      { allowed: false },
      "tok is signed",
    );
    await revokeToken(db.sql, info.id);
    assert.equal(await byToken.stillValid(), false);
    assert.equal(await bySignature.stillValid(), false);
    assert.deepEqual(await ask(query), { allowed: false }, "the URL is void");
  } finally {
    await db.close();
  }
});

Deno.test("finding 3: refused publishes never count on the failed-auth limiter, so pushes at the box's own relay cannot lock out 127.0.0.1", async () => {
  const db = await openTestDatabase("embedded");
  try {
    const keys = await openRelayKeys(db.dataDir);
    const { token } = await createToken(db.sql, "admin", "admin");
    const limiter = new AuthLimiter();
    const authorize = relayAuthorizer({ sql: db.sql, keys, auth: true, limiter });
    for (let i = 0; i < 12; i++) {
      const push = await authorize({
        action: "publish",
        path: "/live/attack",
        query: {},
        credentials: { scheme: "basic", username: "pub", password: `wrong${i}` },
        method: "ANNOUNCE",
        remote: `127.0.0.1:${40000 + i}`,
      });
      assert.deepEqual(push, { allowed: false });
    }
    assert.equal(limiter.blockedFor("127.0.0.1"), 0, "the box's own address is not blocked");
    const read = await authorize({
      action: "read",
      path: "/cam/x",
      query: {},
      credentials: { scheme: "basic", username: "u", password: token },
      method: "DESCRIBE",
      remote: "127.0.0.1:41000",
    });
    assert.deepEqual(withoutRecheck(read), { allowed: true }, "a local reader still gets in");
  } finally {
    await db.close();
  }
});
