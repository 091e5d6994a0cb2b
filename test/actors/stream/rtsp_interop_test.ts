/**
 * The relay as a compliant RTSP server (RFC 2326/7826, RFC 3550), checked with GStreamer as a
 * second, independent client beside ffmpeg, and with a bare client for the headers and packets.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRtspServer } from "../../../actors/stream/rtsp_server.ts";
import type { RtspServer } from "../../../actors/stream/rtsp_server_types.ts";
import { Hub } from "../../../actors/stream/hub.ts";
import { header } from "../../../models/rtsp/message.ts";
import { parseSdp } from "../../../models/rtsp/sdp.ts";
import { type RtspServer as Camera, startRtspServer as startCamera } from "../../support/rtsp.ts";
import { makeClip, startPublisher } from "../../support/relay.ts";
import { RawRtsp } from "../../support/rtsp_client.ts";
import { waitFor } from "../../support/rtsp.ts";
import { probeRecording, recordMp4, runGst } from "../../support/gstreamer.ts";

const credentials = { username: "vigil", password: "internal-test-secret" };
const dir = await Deno.makeTempDir({ prefix: "vigil-rtsp-interop-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

async function withHub(fn: (ctx: { hub: Hub; server: RtspServer }) => Promise<void>) {
  const camera: Camera = await startCamera({ fps: 25 });
  const ref: { hub?: Hub } = {};
  const server = await startRtspServer({
    port: 0,
    demand: (path) => ref.hub?.demand(path),
    authorize: (r) => {
      const c = r.credentials;
      const internal = c?.scheme === "basic" && c.password === credentials.password;
      return internal || r.action === "read" ? { allowed: true, internal } : { allowed: false };
    },
  });
  const hub = ref.hub = new Hub({ server, credentials, idleTimeoutMs: 1000 });
  hub.setCamera("c1", { default: camera.url });
  try {
    await fn({ hub, server });
  } finally {
    await hub.stop();
    await server.close();
    await camera.stop();
  }
}

/**
 * Asserts a recording is a playable MP4 of the camera: at least 1.5 s (the first reader also waits
 * for the camera to be pulled), every frame of its duration at 25 fps decodable, 640x360.
 */
async function assertPlayable(file: string, output: string) {
  assert.doesNotMatch(output, /no PTS|ERROR/, output.slice(-1500));
  const rec = await probeRecording(file);
  assert.ok(rec.durationS >= 1.5, `duration ${rec.durationS} s: ${output.slice(-1000)}`);
  assert.ok(rec.frames >= rec.durationS * 25 * 0.8, `frames ${rec.frames} in ${rec.durationS} s`);
  assert.deepEqual([rec.width, rec.height], [640, 360]);
}

Deno.test({
  name:
    "finding 8: GStreamer records a playable MP4 from the relay's /cam/<id>, as the first reader and as a late one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await withHub(async ({ hub, server }) => {
      // The first reader demands the camera: the puller's ffmpeg sends what it read while
      // probing in one burst, which GStreamer's jitter buffer stamps out of order unless the
      // relay pulls it back to real time.
      await t.step("first reader (the path starts for it)", async () => {
        const file = join(dir, "cold.mp4");
        const run = await recordMp4(hub.readUrl("c1"), file, 6);
        await assertPlayable(file, run.output);
      });
      // A late reader starts from the cached keyframe: up to a second of old media, which the
      // relay paces (models/rtsp/late_start.ts). Sent in one instant, GStreamer stamped pictures
      // past about 0.6 s of it backwards ("Buffer has no PTS"): 5 and 8 of 12 late readers failed.
      await t.step({
        name: "late readers (start from the keyframe cache)",
        fn: async () => {
          const lease = await hub.acquire("c1", {}, "test");
          try {
            await waitFor(() => server.stats("/cam/c1")?.publishing === true, 20_000, "published");
            for (const delayMs of [300, 700]) {
              await new Promise((r) => setTimeout(r, delayMs));
              const file = join(dir, `late-${delayMs}.mp4`);
              const run = await recordMp4(hub.readUrl("c1"), file, 4);
              await assertPlayable(file, run.output);
            }
          } finally {
            lease.release();
          }
        },
      });
    });
  },
});

Deno.test({
  name:
    "the relay's PLAY reply names each track's first sequence number and RTP time, and a sender report comes before the media",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const clip = await makeClip(dir, { audio: true });
    const server = await startRtspServer({ port: 0 });
    const publisher = startPublisher(server.url("/cam/a"), clip);
    const raw = await RawRtsp.connect(server.port);
    try {
      await waitFor(() => server.stats("/cam/a")?.publishing === true, 15_000, "published");
      await new Promise((r) => setTimeout(r, 500));
      const url = server.url("/cam/a");
      const described = await raw.request("DESCRIBE", url);
      assert.equal(described?.status, 200);
      const tracks = parseSdp(new TextDecoder().decode(described!.body)).media.length;
      assert.equal(tracks, 2);
      let session = "";
      for (let i = 0; i < tracks; i++) {
        const res = await raw.request("SETUP", `${url}/trackID=${i}`, [
          ["Transport", `RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}`],
          ...(session ? [["Session", session] as [string, string]] : []),
        ]);
        assert.equal(res?.status, 200);
        session = header(res!.headers, "session")!.split(";")[0]!;
      }
      const packets: { channel: number; packet: Uint8Array; at: number }[] = [];
      raw.onPacket = (channel, packet) => packets.push({ channel, packet, at: Date.now() });
      const played = await raw.request("PLAY", `${url}/`, [["Session", session]]);
      assert.equal(played?.status, 200);
      assert.equal(header(played!.headers, "range"), "npt=0.000-");
      const info = header(played!.headers, "rtp-info") ?? "";
      const entries = info.split(",").map((e) =>
        Object.fromEntries(
          e.trim().split(";").map((
            kv,
          ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        )
      );
      assert.deepEqual(entries.map((e) => e.url), [`${url}/trackID=0`, `${url}/trackID=1`]);
      raw.startReading();
      await waitFor(() => packets.filter((p) => p.channel === 2).length > 0, 5000, "audio");
      for (const [track, entry] of entries.entries()) {
        const mine = packets.filter((p) => p.channel === 2 * track || p.channel === 2 * track + 1);
        const first = mine[0]!;
        assert.equal(first.channel, 2 * track + 1, `track ${track}: a sender report first`);
        const sr = new DataView(first.packet.buffer, first.packet.byteOffset);
        assert.equal(first.packet[1], 200, "RTCP SR");
        const rtp = mine.find((p) => p.channel === 2 * track)!;
        const v = new DataView(rtp.packet.buffer, rtp.packet.byteOffset);
        assert.equal(Number(entry.seq), v.getUint16(2), `track ${track}: seq of the first packet`);
        assert.equal(Number(entry.rtptime), v.getUint32(4), `track ${track}: its RTP time`);
        assert.equal(sr.getUint32(4), v.getUint32(8), "the report names the stream's SSRC");
        const ntpMs = (sr.getUint32(8) - 2_208_988_800) * 1000;
        assert.ok(Math.abs(ntpMs - first.at) < 2000, `NTP time is the wall clock: ${ntpMs}`);
      }
    } finally {
      await raw.close();
      await publisher.stop();
      await server.close();
    }
  },
});

Deno.test({
  name:
    "a UDP-only SETUP gets 461 without starting the camera, and GStreamer's default client falls back to TCP",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withHub(async ({ hub, server }) => {
      const raw = await RawRtsp.connect(server.port);
      try {
        const res = await raw.request("SETUP", `${hub.readUrl("c1")}/trackID=0`, [
          ["Transport", "RTP/AVP;unicast;client_port=5000-5001"],
        ]);
        assert.equal(res?.status, 461);
        assert.equal(header(res!.headers, "session"), undefined, "no session was opened");
        assert.equal(hub.status("c1")[0]?.puller ?? "idle", "idle", "the camera was not pulled");
        assert.equal((await raw.request("OPTIONS", hub.readUrl("c1")))?.status, 200);
      } finally {
        await raw.close();
      }
      const file = join(dir, "udp-first.mp4");
      // No `protocols=tcp`: rtspsrc asks for UDP first.
      const run = await runGst([
        ...["rtspsrc", `location=${hub.readUrl("c1")}`, "!", "rtph264depay", "!", "h264parse"],
        ...["!", "mp4mux", "fragment-duration=500", "!", "filesink", `location=${file}`],
      ], 6);
      await assertPlayable(file, run.output);
    });
  },
});
