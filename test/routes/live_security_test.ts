/**
 * Live sessions against a token that is not their owner, a push aimed at the box itself, a
 * revoked token, and many short MJPEG requests: the security findings of issue 21.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ffmpegChildren, type RtspServer, startRtspServer, waitFor } from "../support/rtsp.ts";
import { startMediaServer } from "../support/media_server.ts";
import { createToken } from "../../models/auth.ts";
import { parsePushAllow } from "../../models/net/push_target.ts";
import type { SystemOptions } from "../../actors/system.ts";
import { NotFoundError } from "../../models/errors.ts";

async function withApp(
  options: {
    live?: SystemOptions["live"];
    liveRecheckMs?: number;
    camera?: { width: number; height: number };
  },
  fn: (app: TestApp, camera: string, server: RtspServer) => Promise<void>,
): Promise<void> {
  const server = await startRtspServer({ fps: 15, ...options.camera });
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db, {
    live: { idleMs: 20_000, lingerMs: 500, ...options.live },
    liveRecheckMs: options.liveRecheckMs,
  });
  try {
    const response = await app.call("POST", "/api/cameras", {
      body: { name: "cam", rtspUrl: server.url },
    });
    assert.equal(response.status, 201);
    await fn(app, (await response.json()).id, server);
  } finally {
    await app.close();
    await db.close();
    await server.stop();
  }
}

// deno-lint-ignore no-explicit-any -- a reply's JSON, checked field by field
async function reply(response: Response): Promise<{ status: number; body: any }> {
  return { status: response.status, body: await response.json() };
}

Deno.test({
  name: "finding 2: a live session belongs to its token: others get 404, a listing shows a " +
    "token its own, and one token cannot take every session or every transcode",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp(
      {
        live: { maxSessions: 6, maxSessionsPerToken: 2, maxTranscodes: 2 },
        camera: { width: 1280, height: 720 },
      },
      async (app, camera) => {
        const { media, viewer, admin } = app.tokens;
        const opened = await reply(
          await app.call("POST", "/api/live", {
            body: { camera, quality: "360p", output: "hls" },
            token: media,
          }),
        );
        assert.equal(opened.status, 201, JSON.stringify(opened.body));
        const id = opened.body.id;
        assert.match(opened.body.owner, /^[a-z0-9]{12}$/);

        const others: [string, unknown][] = [["GET", undefined], ["PUT", { quality: "480p" }], [
          "DELETE",
          undefined,
        ]];
        for (const [method, body] of others) {
          const response = await app.call(method, `/api/live/${id}`, { body, token: viewer });
          assert.equal(response.status, 404, `a viewer's ${method} of the media token's session`);
          await response.body?.cancel();
        }
        const playlist = await app.call("GET", `/live/${id}/index.m3u8`, { token: viewer });
        assert.equal(playlist.status, 404, "nor its media");
        await playlist.body?.cancel();
        assert.equal(app.live.get(id).quality, "360p", "not switched");

        const list = async (token: string) =>
          (await (await app.call("GET", "/api/live", { token })).json()).items.map(
            (s: { id: string }) => s.id,
          );
        assert.deepEqual(await list(viewer), [], "a viewer lists only its own sessions");
        assert.deepEqual(await list(media), [id]);
        assert.deepEqual(await list(admin), [id], "an admin lists every session");
        assert.equal((await app.call("GET", `/api/live/${id}`, { token: admin })).status, 200);

        // The media token alone holds one of the two encoders: a second one is refused to it.
        const second = await reply(
          await app.call("POST", "/api/live", {
            body: { camera, quality: "480p", output: "hls" },
            token: media,
          }),
        );
        assert.equal(second.status, 503, JSON.stringify(second.body));
        assert.match(second.body.error.message, /encoding transcoders, the most one token may/);
        await waitFor(
          () => app.live.counts().encoding === 1,
          10_000,
          "the refused encoder to stop after its linger",
        );

        // A viewer shares the media token's transcoder: no new encode, its own session.
        const mine = await reply(
          await app.call("POST", "/api/live", {
            body: { camera, quality: "360p", output: "hls" },
            token: viewer,
          }),
        );
        assert.equal(mine.status, 201, JSON.stringify(mine.body));
        assert.deepEqual(await list(viewer), [mine.body.id]);

        // A stream copy is not an encode; the second session is the token's last.
        const copy = await app.call("POST", "/api/live", {
          body: { camera, quality: "source", output: "hls" },
          token: media,
        });
        assert.equal(copy.status, 201);
        await copy.body?.cancel();
        const third = await reply(
          await app.call("POST", "/api/live", {
            body: { camera, quality: "360p", output: "hls" },
            token: media,
          }),
        );
        assert.equal(third.status, 503);
        assert.match(third.body.error.message, /holds 2 sessions, the most one token may/);

        assert.equal(
          (await app.call("DELETE", `/api/live/${mine.body.id}`, { token: viewer })).status,
          204,
        );
        assert.equal((await app.call("DELETE", `/api/live/${id}`, { token: admin })).status, 204);
        assert.equal(app.live.counts().sessions, 1);
      },
    );
  },
});

Deno.test({
  name: "finding 3: a viewer gets 403 for any rtsp-push, and a push to the box's own relay " +
    "port on loopback is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({}, async (app, camera) => {
      const port = app.relay.server.port;
      const cases: [string, string, string, number, RegExp][] = [
        ["viewer", app.tokens.viewer, "rtsp://media.example:8554/x", 403, /viewer role/],
        ["media", app.tokens.media, `rtsp://127.0.0.1:${port}/live/x`, 422, /loopback/],
        ["admin", app.tokens.admin, `rtsp://localhost:${port}/cam/x`, 422, /loopback/],
        ["admin", app.tokens.admin, "rtsp://[::1]:9/x", 422, /loopback/],
        // `URL` rewrites the mapped loopback to `::ffff:7f00:1`; the check reads its bytes.
        ["admin", app.tokens.admin, `rtsp://[::ffff:127.0.0.1]:${port}/x`, 422, /loopback/],
        ["admin", app.tokens.admin, `rtsp://[::ffff:7f00:1]:${port}/x`, 422, /loopback/],
        ["media", app.tokens.media, "rtsp://169.254.169.254/x", 422, /link-local/],
      ];
      for (const [role, token, target, status, message] of cases) {
        const got = await reply(
          await app.call("POST", "/api/live", {
            body: { camera, quality: "source", output: "rtsp-push", target },
            token,
          }),
        );
        assert.equal(got.status, status, `${role} → ${target}: ${JSON.stringify(got.body)}`);
        assert.match(got.body.error.message, message);
      }
      assert.equal(app.live.counts().sessions, 0);
      assert.deepEqual(ffmpegChildren(), [], "nothing was started");
      assert.equal(app.relay.limiter.blockedFor("127.0.0.1"), 0);
    });
  },
});

Deno.test({
  name: "finding 1: revoking a token ends its rtsp-push to an allowed receiver and its MJPEG " +
    "response within the re-check interval",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const receiver = await startMediaServer({ listen: true }, { decode: true });
    const port = Number(new URL(receiver.url).port);
    try {
      await withApp(
        {
          live: { pushAllow: parsePushAllow(`127.0.0.1:${port}`), recheckMs: 2000 },
          liveRecheckMs: 2000,
        },
        async (app, camera) => {
          const issued = await createToken(app.db.sql, "leaked", "media");
          // Finding 4 too: a password with `@` is kept whole and shown nowhere.
          const target = receiver.url.replace("rtsp://", "rtsp://pub:tP@4ss@");
          const push = await reply(
            await app.call("POST", "/api/live", {
              body: { camera, quality: "source", output: "rtsp-push", target },
              token: issued.token,
            }),
          );
          assert.equal(push.status, 201, JSON.stringify(push.body));
          assert.equal(push.body.target, receiver.url.replace("rtsp://", "rtsp://pub@"));
          const listed = await (await app.call("GET", "/api/live")).text();
          assert.ok(!listed.includes("4ss"), "no part of the password is listed");
          await waitFor(() => receiver.frames() > 10, 20_000, "frames at the receiver");

          const mjpeg = await reply(
            await app.call("POST", "/api/live", {
              body: { camera, quality: "sub", output: "mjpeg" },
              token: issued.token,
            }),
          );
          assert.equal(mjpeg.status, 201, JSON.stringify(mjpeg.body));
          // Opened by an admin on the leaked token's signed URL: the response re-checks that token.
          const signed = new URL(mjpeg.body.signedUrls.mjpeg);
          const response = await app.app.request(`${signed.pathname}${signed.search}`);
          assert.equal(response.status, 200);
          const reader = response.body!.getReader();
          const ended = (async () => {
            while (!(await reader.read()).done) { /* frames */ }
            return Date.now();
          })();

          const revokedAt = Date.now();
          const revoked = await app.call("DELETE", `/api/tokens/${issued.info.id}`);
          assert.equal(revoked.status, 204);
          await waitFor(() => app.live.counts().sessions === 0, 40_000, "the sessions to end");
          const endedAt = await ended;
          assert.ok(
            endedAt - revokedAt < 40_000,
            `the MJPEG response ended after ${endedAt - revokedAt} ms`,
          );
          console.log(`sessions ended ${Date.now() - revokedAt} ms after the revocation`);
          // What the receiver had buffered is decoded in the next moment; then nothing comes.
          await new Promise((r) => setTimeout(r, 1500));
          const frames = receiver.frames();
          await new Promise((r) => setTimeout(r, 3000));
          assert.equal(receiver.frames(), frames, "the receiver gets nothing more");
        },
      );
    } finally {
      await receiver.stop();
    }
  },
});

Deno.test({
  name: "finding 5: every ended MJPEG request removes its listener from the server's shutdown " +
    "signal",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({}, async (app, camera) => {
      let listeners = 0;
      const signal = app.shutdown;
      const add = signal.addEventListener.bind(signal);
      const remove = signal.removeEventListener.bind(signal);
      signal.addEventListener = (...args: Parameters<typeof add>) => {
        listeners++;
        add(...args);
      };
      signal.removeEventListener = (...args: Parameters<typeof remove>) => {
        listeners--;
        remove(...args);
      };
      const opened = await reply(
        await app.call("POST", "/api/live", { body: { camera, quality: "sub", output: "mjpeg" } }),
      );
      assert.equal(opened.status, 201);
      const path = `/live/${opened.body.id}/mjpeg`;
      for (let i = 0; i < 300; i++) {
        const response = await app.call("GET", path, { token: app.tokens.admin });
        assert.equal(response.status, 200);
        const reader = response.body!.getReader();
        await reader.read();
        await reader.cancel();
      }
      assert.equal(listeners, 0, "no listener is left behind by 300 ended requests");
    });
  },
});

Deno.test({
  name: "bad signatures on /live/* count as failed authentications, like the relay's",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openTestDatabase("embedded");
    const app = await startTestApp(db);
    try {
      const forged = (i: number) =>
        `/live/${crypto.randomUUID()}/index.m3u8?exp=9999999999&sig=${"A".repeat(42)}${i % 10}`;
      for (let i = 0; i < 10; i++) {
        const response = await app.app.request(forged(i));
        assert.equal(response.status, 401);
        await response.body?.cancel();
      }
      assert.ok(app.relay.limiter.blockedFor("unknown") > 0, "the address is blocked");
      const next = await app.app.request(forged(0));
      assert.equal(next.status, 429);
      assert.ok(Number(next.headers.get("retry-after")) > 0);
      await next.body?.cancel();
      const api = await app.call("GET", "/api/cameras");
      assert.equal(api.status, 429, "the API shares the limiter");
      await api.body?.cancel();
    } finally {
      await app.close();
      await db.close();
    }
  },
});

Deno.test({
  name: "a quality switch racing a close is a no-op: no transcoder is acquired for the ended " +
    "session and nothing follows it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({ camera: { width: 1280, height: 720 } }, async (app, camera) => {
      const opened = await reply(
        await app.call("POST", "/api/live", { body: { camera, quality: "360p", output: "hls" } }),
      );
      assert.equal(opened.status, 201, JSON.stringify(opened.body));
      // Its outcome is taken at once: it settles while the close is still being awaited.
      const switching = app.live.setQuality(opened.body.id, "480p").then(
        () => undefined,
        (error: unknown) => error,
      );
      await app.live.close(opened.body.id);
      const error = await switching;
      assert.ok(error instanceof NotFoundError, `the switch answers 404: ${error}`);
      assert.ok(
        app.live.counts().encoding <= 1,
        `no 480p transcoder was started for the ended session: ${
          JSON.stringify(app.live.counts())
        }`,
      );
    });
  },
});

Deno.test({
  name: "an open MJPEG response re-checks its token: revoking it ends the response while the " +
    "session goes on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({ liveRecheckMs: 1000 }, async (app, camera) => {
      const opened = await reply(
        await app.call("POST", "/api/live", { body: { camera, quality: "sub", output: "mjpeg" } }),
      );
      assert.equal(opened.status, 201, JSON.stringify(opened.body));
      const second = await createToken(app.db.sql, "second admin", "admin");
      const response = await app.call("GET", `/live/${opened.body.id}/mjpeg`, {
        token: second.token,
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      await reader.read();
      const revokedAt = Date.now();
      assert.equal((await app.call("DELETE", `/api/tokens/${second.info.id}`)).status, 204);
      // Bounded: a response that never ends fails here instead of hanging the test.
      const giveUp = setTimeout(() => void reader.cancel(), 30_000);
      while (!(await reader.read()).done) { /* frames until the response ends */ }
      clearTimeout(giveUp);
      const tookMs = Date.now() - revokedAt;
      assert.ok(tookMs < 15_000, `the response ended ${tookMs} ms after the revocation`);
      assert.equal(app.live.get(opened.body.id).id, opened.body.id, "the session goes on");
    });
  },
});
