/**
 * A reader request that is still waiting (for its authorisation, or for a demanded path to be
 * published) when its connection closes must leave nothing behind: no reader counted against the
 * limits, no demand lease holding a camera's puller. And the first grant ends the handshake
 * deadline, so a SETUP waiting for a demanded path is not cut off by it.
 */
import assert from "node:assert/strict";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type { RtspAuthRequest } from "../../../actors/stream/rtsp_server_types.ts";
import { basicAuth, RawRtsp } from "../../support/rtsp_client.ts";
import { makeClip, type Proc, startPublisher } from "../../support/relay.ts";
import { waitFor } from "../../support/rtsp.ts";

const INTERNAL = "internal-secret";
const authorize = (r: RtspAuthRequest) => {
  const c = r.credentials;
  const password = c?.scheme === "basic" ? c.password : null;
  if (password === INTERNAL) return { allowed: true as const, internal: true };
  if (r.action === "read" && password === "pw") return { allowed: true as const };
  return { allowed: false as const };
};

Deno.test({
  name: "a reader whose connection closes while its SETUP waits for a demanded path is not counted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-rtsp-close-" });
    const clip = await makeClip(dir, {});
    const procs: Proc[] = [];
    let startSource: (() => void) | undefined;
    const server = await startRtspServer({
      port: 0,
      authorize,
      // The idle timeout of an authorised connection closes it mid-SETUP here (in production the
      // handshake deadline, an eviction or a revocation can do the same).
      limits: { sessionTimeoutMs: 500, demandWaitMs: 10_000, maxReadersPerPath: 1 },
      // Like the hub: a reader of /cam/d starts its puller, which publishes a moment later.
      demand: (path) => {
        if (path !== "/cam/d") return undefined;
        startSource?.();
        return { path, release: () => {} };
      },
    });
    const publisherUrl = server.url("/cam/d").replace("rtsp://", `rtsp://vigil:${INTERNAL}@`);
    const ghost = await RawRtsp.connect(server.port);
    let reader: RawRtsp | undefined;
    try {
      // SETUP as the first request (no DESCRIBE): it waits for the path to be published.
      await ghost.write(
        `SETUP ${server.url("/cam/d")}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\n` +
          `Authorization: ${basicAuth("v", "pw")[1]}\r\n` +
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
      );
      assert.ok(await ghost.waitClosed(5000), "the idle timeout closes the waiting client");
      // The source comes up after the client is gone.
      procs.push(startPublisher(publisherUrl, clip));
      await waitFor(() => server.stats("/cam/d")?.publishing === true, 15_000, "published");
      await new Promise((r) => setTimeout(r, 300));

      // Nobody reads /cam/d: one real reader must fit under maxReadersPerPath = 1.
      reader = await RawRtsp.connect(server.port);
      const status = await reader.play(server.url("/cam/d"), [basicAuth("v", "pw")]);
      assert.equal(status, 200, "the gone client still holds the path's only reader slot");
    } finally {
      await ghost.close();
      await reader?.close();
      await Promise.all(procs.map((p) => p.stop()));
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a reader whose connection closes while its authorisation is pending is not counted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-rtsp-close-" });
    const clip = await makeClip(dir, {});
    const server = await startRtspServer({
      port: 0,
      // A slow token check (the relay's authorizer looks the token up in the database).
      authorize: async (r) => {
        if (r.credentials?.scheme === "basic" && r.credentials.username === "slow") {
          await new Promise((resolve) => setTimeout(resolve, 800));
        }
        return authorize(r);
      },
      limits: { handshakeTimeoutMs: 300, maxReadersPerPath: 1 },
    });
    const publisher = startPublisher(
      server.url("/cam/s").replace("rtsp://", `rtsp://vigil:${INTERNAL}@`),
      clip,
    );
    let ghost: RawRtsp | undefined;
    let reader: RawRtsp | undefined;
    try {
      await waitFor(() => server.stats("/cam/s")?.publishing === true, 15_000, "published");
      ghost = await RawRtsp.connect(server.port);
      await ghost.write(
        `SETUP ${server.url("/cam/s")}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\n` +
          `Authorization: ${basicAuth("slow", "pw")[1]}\r\n` +
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
      );
      assert.ok(await ghost.waitClosed(5000), "the handshake deadline closes the waiting client");
      await new Promise((r) => setTimeout(r, 1000)); // the slow check has answered by now
      reader = await RawRtsp.connect(server.port);
      const status = await reader.play(server.url("/cam/s"), [basicAuth("v", "pw")]);
      assert.equal(status, 200, "the gone client still holds the path's only reader slot");
    } finally {
      await ghost?.close();
      await reader?.close();
      await publisher.stop();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a connection closed while its authorisation is pending takes no demand lease",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    let leases = 0;
    let released = 0;
    const server = await startRtspServer({
      port: 0,
      authorize: async (r) => {
        // A slow token check (the relay's authorizer looks the token up in the database).
        await new Promise((resolve) => setTimeout(resolve, 800));
        return authorize(r);
      },
      limits: { handshakeTimeoutMs: 300, demandWaitMs: 500 },
      // Like the hub: the lease holds the camera's puller until it is released.
      demand: (path) => {
        leases++;
        return { path, release: () => released++ };
      },
    });
    const ghost = await RawRtsp.connect(server.port);
    try {
      await ghost.write(
        `DESCRIBE ${server.url("/cam/x")} RTSP/1.0\r\nCSeq: 1\r\n` +
          `Authorization: ${basicAuth("v", "pw")[1]}\r\n\r\n`,
      );
      assert.ok(await ghost.waitClosed(5000), "the handshake deadline closes the waiting client");
      await new Promise((r) => setTimeout(r, 1500)); // the check has answered by now
      assert.equal(leases, 0, "nothing is demanded for a connection that is gone");
      assert.equal(released, leases);
    } finally {
      await ghost.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "a first request waiting for a demanded path outlives the handshake deadline and is served",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-rtsp-close-" });
    const clip = await makeClip(dir, {});
    const procs: Proc[] = [];
    const server = await startRtspServer({
      port: 0,
      authorize,
      limits: { handshakeTimeoutMs: 300, demandWaitMs: 15_000 },
      demand: (path) => {
        if (path !== "/cam/late") return undefined;
        // The source answers well after the handshake deadline.
        setTimeout(() => procs.push(startPublisher(publisherUrl, clip)), 1000);
        return { path, release: () => {} };
      },
    });
    const publisherUrl = server.url("/cam/late").replace("rtsp://", `rtsp://vigil:${INTERNAL}@`);
    const reader = await RawRtsp.connect(server.port);
    try {
      const status = await reader.play(server.url("/cam/late"), [basicAuth("v", "pw")]);
      assert.equal(status, 200);
    } finally {
      await reader.close();
      await Promise.all(procs.map((p) => p.stop()));
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
