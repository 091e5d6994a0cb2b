/**
 * The live API's edges: bad input answers a clear 4xx and starts nothing, budgets answer 503 with
 * Retry-After, roles, the dispatcher, and MJPEG.
 */
import assert from "node:assert/strict";
import { openTestDatabase } from "../support/databases.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ffmpegChildren, type RtspServer, startRtspServer, waitFor } from "../support/rtsp.ts";
import { probeImage } from "../support/media.ts";
import { MJPEG_BOUNDARY } from "../../models/media/jpeg_stream.ts";
import { createToken } from "../../models/auth.ts";

async function withApp(
  live: { maxTranscodes?: number; maxSessions?: number },
  fn: (app: TestApp, camera: string, server: RtspServer) => Promise<void>,
): Promise<void> {
  const server = await startRtspServer({ fps: 15 });
  const db = await openTestDatabase("embedded");
  const app = await startTestApp(db, { live: { idleMs: 20_000, lingerMs: 500, ...live } });
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

async function error(
  response: Response,
): Promise<{ status: number; code: string; message: string }> {
  const body = await response.json();
  return { status: response.status, code: body.error?.code, message: body.error?.message };
}

Deno.test({
  name: "bad live requests answer a clear 4xx and start nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({}, async (app, camera) => {
      const open = (body: unknown) => app.call("POST", "/api/live", { body });
      const cases: [string, unknown, number, RegExp][] = [
        [
          "an unknown camera",
          { camera: crypto.randomUUID(), quality: "720p" },
          404,
          /camera .* was not found/,
        ],
        [
          "a camera id that is not a UUID",
          { camera: "../../etc", quality: "720p" },
          422,
          /camera must be a UUID/,
        ],
        ["an unknown quality", { camera, quality: "4k" }, 422, /quality/],
        ["an unknown output", { camera, quality: "720p", output: "webrtc" }, 422, /output/],
        [
          "a push target that is not rtsp(s)",
          { camera, quality: "720p", output: "rtsp-push", target: "http://media/x" },
          422,
          /target must be an rtsp:\/\/ or rtsps:\/\/ URL/,
        ],
        [
          "a push target that is a local file",
          { camera, quality: "720p", output: "rtsp-push", target: "file:///etc/passwd" },
          422,
          /target/,
        ],
        [
          "rtsp-push without a target",
          { camera, quality: "720p", output: "rtsp-push" },
          422,
          /target is required/,
        ],
        [
          "a target for another output",
          { camera, quality: "720p", output: "hls", target: "rtsp://m/x" },
          422,
          /target is only for output rtsp-push/,
        ],
        ["an unknown field", { camera, quality: "720p", extra: 1 }, 422, /extra/],
        [
          "annotated without analytics",
          { camera, quality: "720p", annotated: true, output: "hls" },
          409,
          /no analytics attached/,
        ],
      ];
      for (const [name, body, status, message] of cases) {
        const got = await error(await open(body));
        assert.equal(got.status, status, `${name}: ${JSON.stringify(got)}`);
        assert.match(got.message, message, name);
      }
      const paths: [string, string, number][] = [
        ["GET", "/api/live/..%2F..%2Fetc%2Fpasswd", 400],
        ["GET", "/api/live/not-a-uuid", 400],
        ["GET", `/api/live/${crypto.randomUUID()}`, 404],
        ["PUT", `/api/live/${crypto.randomUUID()}`, 404],
        ["DELETE", `/api/live/${crypto.randomUUID()}`, 404],
        ["GET", "/live/..%2F..%2Fetc%2Fpasswd/index.m3u8", 400],
        ["GET", `/live/${crypto.randomUUID()}/index.m3u8`, 404],
        ["GET", `/live/${crypto.randomUUID()}/..%2F..%2Fsecret.key`, 400],
      ];
      for (const [method, path, status] of paths) {
        const body = method === "PUT" ? { quality: "360p" } : undefined;
        const got = await error(await app.call(method, path, { body }));
        assert.equal(got.status, status, `${method} ${path}: ${JSON.stringify(got)}`);
      }
      const noToken = await app.app.request(`/live/${crypto.randomUUID()}/index.m3u8`);
      assert.equal(noToken.status, 401);
      const forged = await app.app.request(
        `/live/${crypto.randomUUID()}/index.m3u8?exp=9999999999&sig=${"A".repeat(43)}`,
      );
      assert.equal(forged.status, 401);
      assert.deepEqual(app.live.counts(), { sessions: 0, transcoders: 0, encoding: 0 });
      assert.deepEqual(ffmpegChildren(), [], "no ffmpeg was started");
    });
  },
});

Deno.test({
  name: "past the transcode budget a new encode answers 503 with Retry-After; stream copies and " +
    "shared transcoders still open",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({ maxTranscodes: 1 }, async (app, camera) => {
      const open = (quality: string) =>
        app.call("POST", "/api/live", { body: { camera, quality, output: "hls" } });
      const first = await open("360p");
      assert.equal(first.status, 201);
      const busy = await open("480p");
      assert.equal(busy.status, 503);
      assert.ok(Number(busy.headers.get("retry-after")) >= 1);
      assert.equal((await busy.json()).error.code, "capacity");
      assert.equal((await open("360p")).status, 201, "the same quality shares the transcoder");
      assert.equal((await open("source")).status, 201, "a copy does not count");
      assert.deepEqual(app.live.counts(), { sessions: 3, transcoders: 2, encoding: 1 });
      const session = (await first.json()).id;
      const put = await app.call("PUT", `/api/live/${session}`, { body: { quality: "480p" } });
      assert.equal(put.status, 503, "a switch is held to the same budget");
      const still = await (await app.call("GET", `/api/live/${session}`)).json();
      assert.equal(still.served.height, 360, "a refused switch leaves the session as it was");
    });
  },
});

Deno.test({
  name: "media and viewer tokens may dispatch and open sessions; the dispatcher names this box; " +
    "a token limited to other cameras sees none of it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({}, async (app, camera) => {
      for (const role of ["media", "viewer"] as const) {
        const token = app.tokens[role];
        const dispatch = await app.call("GET", `/api/dispatch/${camera}`, { token });
        assert.equal(dispatch.status, 200, role);
        const reply = await dispatch.json();
        assert.equal(reply.owner.boxId, app.boxId);
        assert.equal(reply.owner.self, true);
        assert.equal(reply.live.open.url, `${reply.owner.baseUrl}/api/live`);
        assert.equal(reply.live.open.body.camera, camera);
        assert.equal(reply.camera.id, camera);
        const opened = await app.call(
          "POST",
          reply.live.open.url.replace(reply.owner.baseUrl, ""),
          {
            body: { camera, quality: "360p", output: "hls" },
            token,
          },
        );
        assert.equal(opened.status, 201, role);
        const session = await opened.json();
        const media = await app.call("GET", `/live/${session.id}/index.m3u8`, { token });
        assert.equal(media.status, 200, `${role} reads the playlist`);
        assert.equal((await app.call("DELETE", `/api/live/${session.id}`, { token })).status, 204);
      }
      assert.equal(
        (await app.call("GET", `/api/dispatch/${crypto.randomUUID()}`, { token: app.tokens.media }))
          .status,
        404,
      );
      // A token limited to another camera learns nothing of this one or its sessions.
      const elsewhere = await (await app.call("POST", "/api/cameras", {
        body: { name: "elsewhere", rtspUrl: "rtsp://127.0.0.1:9/none" },
      })).json();
      const other = (await createToken(app.db.sql, "other", "media", [elsewhere.id])).token;
      const session = await (await app.call("POST", "/api/live", {
        body: { camera, quality: "360p", output: "hls" },
      })).json();
      const hidden: [string, string, unknown][] = [
        ["GET", `/api/dispatch/${camera}`, undefined],
        ["POST", "/api/live", { camera, quality: "360p", output: "hls" }],
        ["GET", `/api/live/${session.id}`, undefined],
        ["PUT", `/api/live/${session.id}`, { quality: "480p" }],
        ["DELETE", `/api/live/${session.id}`, undefined],
        ["GET", `/live/${session.id}/index.m3u8`, undefined],
      ];
      for (const [method, path, body] of hidden) {
        const response = await app.call(method, path, { body, token: other });
        assert.equal(response.status, 404, `${method} ${path}`);
        await response.body?.cancel();
      }
      const list = await (await app.call("GET", "/api/live", { token: other })).json();
      assert.deepEqual(list.items, []);
      assert.equal(app.live.counts().sessions, 1, "the other token changed nothing");

      // A signed URL lives only as long as the token that asked for it.
      const issued = await createToken(app.db.sql, "short-lived", "media");
      const mine = await (await app.call("POST", "/api/live", {
        body: { camera, quality: "360p", output: "hls" },
        token: issued.token,
      })).json();
      const signed = new URL(mine.signedUrls.hls);
      assert.equal((await app.app.request(`${signed.pathname}${signed.search}`)).status, 200);
      const revoked = await app.call("DELETE", `/api/tokens/${issued.info.id}`);
      assert.equal(revoked.status, 204);
      assert.equal((await app.app.request(`${signed.pathname}${signed.search}`)).status, 401);
      const id = (await app.call("GET", `/api/dispatch/${camera}`)).json();
      assert.equal((await id).owner.boxId, app.boxId, "the box id is stable");
    });
  },
});

Deno.test({
  name: "mjpeg: a browser gets multipart JPEG frames of the requested size",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withApp({}, async (app, camera) => {
      const opened = await app.call("POST", "/api/live", {
        body: { camera, quality: "sub", output: "mjpeg" },
      });
      const session = await opened.json();
      assert.equal(opened.status, 201, JSON.stringify(session));
      assert.equal(session.served.quality, "360p", "no sub-stream: the 360p rung");
      const url = new URL(session.signedUrls.mjpeg);
      const response = await app.app.request(`${url.pathname}${url.search}`);
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("content-type"),
        `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
      );
      const reader = response.body!.getReader();
      let bytes = new Uint8Array();
      while (bytes.length < 200_000) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes = new Uint8Array([...bytes, ...value]);
        if (new TextDecoder("latin1").decode(bytes).split(`--${MJPEG_BOUNDARY}`).length > 3) break;
      }
      const text = new TextDecoder("latin1").decode(bytes);
      const part = text.split(`--${MJPEG_BOUNDARY}\r\n`)[1]!;
      const length = Number(/Content-Length: (\d+)/.exec(part)![1]);
      const start = text.indexOf("\r\n\r\n", text.indexOf(part)) + 4;
      const jpeg = bytes.slice(start, start + length);
      assert.deepEqual(await probeImage(jpeg), { codec: "mjpeg", width: 640, height: 360 });
      await waitFor(
        () => app.live.get(session.id).state === "live",
        20_000,
        "the session to be live",
      );
      await reader.cancel();
    });
  },
});
