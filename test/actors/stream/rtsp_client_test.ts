/**
 * Vigil's RTSP client against a camera we did not write: the GStreamer RTSP server
 * (scripts/sim/rtsp_server.py) with Basic or Digest authentication, a short session timeout, or
 * refusing TCP; and a camera that accepts the connection and never answers.
 */
import assert from "node:assert/strict";
import { RtspClient, RtspClientError } from "../../../actors/stream/rtsp_client.ts";
import type { Sdp } from "../../../models/rtsp/sdp.ts";
import { withCredentials } from "../../../models/media/rtsp_url.ts";
import { startSilentServer, waitFor, withRtspServer } from "../../support/rtsp.ts";
import { TcpProxy } from "../../support/tcp_proxy.ts";

const user = { username: "cam-admin", password: "pä ss:wörd" };

/** A client on `url` counting what arrives; `closed` holds the error it closed with. */
async function play(url: string, timeoutMs = 5000) {
  const seen = { rtp: 0, rtcp: 0, tracks: new Set<number>(), sdp: null as Sdp | null };
  const closed: { error: RtspClientError | null } = { error: null };
  const client = await RtspClient.open({
    url,
    timeoutMs,
    onPlay: (sdp) => (seen.sdp = sdp),
    onPacket: (track, rtcp) => {
      seen.tracks.add(track);
      if (rtcp) seen.rtcp++;
      else seen.rtp++;
    },
    onClose: (error) => (closed.error = error),
  });
  return { client, seen, closed };
}

for (const scheme of ["digest", "basic"] as const) {
  Deno.test(`the RTSP client answers a camera's ${scheme} challenge, plays its H.264 track and TEARDOWN ends the camera's session`, async () => {
    await withRtspServer({ auth: { scheme, ...user } }, async (camera) => {
      const { client, seen, closed } = await play(withCredentials(camera.url, user));
      try {
        assert.equal(seen.sdp?.media.length, 1);
        assert.equal(client.sdp.media[0]!.encoding, "H264");
        assert.equal(client.sdp.media[0]!.clockRate, 90000);
        await waitFor(() => seen.rtp > 50, 10_000, "RTP packets");
        assert.deepEqual([...seen.tracks], [0]);
        assert.equal(camera.clientsOpen, 1);
      } finally {
        await client.close();
      }
      await waitFor(() => camera.clientsOpen === 0, 5000, "the camera's session closed");
      assert.equal(closed.error, null, "closing is not reported as a failure");
    });
  });
}

Deno.test("the RTSP client reports a wrong password as unauthorized, without a retry loop", async () => {
  await withRtspServer({ auth: { scheme: "digest", ...user } }, async (camera) => {
    const url = withCredentials(camera.url, { username: user.username, password: "wrong" });
    const error = await play(url).then(() => null, (e) => e);
    assert.ok(error instanceof RtspClientError, String(error));
    assert.equal(error.code, "unauthorized");
    assert.match(error.message, /401 wrong user name or password/);
    assert.equal(camera.clientsConnected, 1, "one connection");
    await waitFor(() => camera.clientsOpen === 0, 5000, "the connection closed");
    const bare = await play(camera.url).then(() => null, (e) => e);
    assert.match(String(bare), /credentials needed/);
  });
});

Deno.test("the RTSP client keeps its session alive past the camera's session timeout", async () => {
  await withRtspServer({ sessionTimeoutS: 2 }, async (camera) => {
    const { client, seen, closed } = await play(camera.url);
    try {
      // The camera announces `timeout=2`: a keep-alive at least every 2 s, so three in 6.5 s.
      const before = camera.requests.GET_PARAMETER;
      await new Promise((r) => setTimeout(r, 6500));
      const keepAlives = camera.requests.GET_PARAMETER - before;
      assert.ok(keepAlives >= 3 && keepAlives <= 8, `${keepAlives} keep-alives in 6.5 s`);
      const packets = seen.rtp;
      await waitFor(() => seen.rtp > packets + 25, 5000, "packets after three session timeouts");
      assert.equal(closed.error, null);
      assert.equal(camera.clientsOpen, 1);
    } finally {
      await client.close();
    }
  });
});

Deno.test("the RTSP client gives up on a camera that never answers within its timeout", async () => {
  const silent = startSilentServer();
  try {
    const started = performance.now();
    const error = await play(silent.url, 800).then(() => null, (e) => e);
    const ms = performance.now() - started;
    assert.ok(error instanceof RtspClientError, String(error));
    assert.equal(error.code, "timeout");
    assert.match(error.message, /no answer to OPTIONS within 800 ms/);
    assert.ok(ms >= 750 && ms < 5000, `gave up after ${ms} ms`);
  } finally {
    await silent.stop();
  }
});

Deno.test("the RTSP client reports a camera that is gone as a connect error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await play(`rtsp://127.0.0.1:${port}/stream`).then(() => null, (e) => e);
  assert.ok(error instanceof RtspClientError, String(error));
  assert.equal(error.code, "connect");
  assert.match(error.message, new RegExp(`cannot connect to 127.0.0.1:${port}`));
});

Deno.test("the RTSP client reports a camera that refuses RTP over TCP as udp-only", async () => {
  await withRtspServer({ udpOnly: true }, async (camera) => {
    const error = await play(camera.url).then(() => null, (e) => e);
    assert.ok(error instanceof RtspClientError, String(error));
    assert.equal(error.code, "udp-only");
    await waitFor(() => camera.clientsOpen === 0, 5000, "the connection closed");
  });
});

Deno.test("the RTSP client reports the camera closing a playing session", async () => {
  await withRtspServer({}, async (camera) => {
    const { client, seen, closed } = await play(camera.url);
    try {
      await waitFor(() => seen.rtp > 10, 10_000, "RTP packets");
      await camera.stop();
      await waitFor(() => closed.error !== null, 5000, "the close reported");
      assert.equal(closed.error!.code, "closed");
    } finally {
      await client.close();
    }
  });
});

Deno.test("the RTSP client reports a playing camera that goes silent within its timeout", async () => {
  await withRtspServer({}, async (camera) => {
    const proxy = new TcpProxy(camera.port);
    const { client, seen, closed } = await play(`rtsp://127.0.0.1:${proxy.port}/stream`, 1000);
    try {
      await waitFor(() => seen.rtp > 10, 10_000, "RTP packets");
      proxy.hang();
      const silent = performance.now();
      await waitFor(() => closed.error !== null, 10_000, "the silence reported");
      const ms = performance.now() - silent;
      assert.equal(closed.error!.code, "timeout");
      assert.match(closed.error!.message, /nothing from the camera for 1000 ms/);
      assert.ok(ms >= 900 && ms < 6000, `reported after ${ms} ms`);
    } finally {
      await client.close();
      proxy.unhang();
      await proxy.close();
    }
  });
});
