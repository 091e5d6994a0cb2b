// A `source` live session's in-relay forward comes back after the hub path returns, however long
// the camera was away (the puller probes a dead camera for minutes), not only within the
// publisher's grace plus one wait for the path.
import assert from "node:assert/strict";
import { StreamPaths } from "../../../actors/stream/rtsp_paths.ts";
import { PathForward } from "../../../actors/stream/rtsp_forward.ts";
import { H264_SDP } from "../../support/sdp.ts";

let seq = 0;
/** An RTP packet carrying an IDR slice. */
function idr(): Uint8Array {
  const packet = new Uint8Array(12 + 4);
  packet[0] = 0x80;
  packet[1] = 0x80 | 96;
  packet[2] = (seq >> 8) & 0xff;
  packet[3] = seq++ & 0xff;
  const view = new DataView(packet.buffer);
  view.setUint32(4, seq * 3000);
  view.setUint32(8, 1234);
  packet.set([0x65, 0x88, 0x84, 0x00], 12); // NAL type 5 (IDR)
  return packet;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Forwards /cam to /live/s, takes the camera away for `outageMs`, brings it back. */
async function outage(outageMs: number): Promise<{ before: number; after: number }> {
  const paths = new StreamPaths({ gopCacheBytes: 1 << 20, publisherGraceMs: 50 });
  const camera = { close() {} };
  let cam = paths.publish("/cam", camera, H264_SDP).stream;
  const forward = new PathForward(paths, "/cam", "/live/s", 100);
  try {
    const started = forward.start();
    await sleep(10);
    cam.forward(0, false, idr(), Date.now());
    await started;
    const target = () => paths.get("/live/s");
    const before = target()!.stats(Date.now()).packetsIn;
    cam.unpublish();
    paths.unpublished(cam);
    await sleep(outageMs);
    // The puller publishes the hub path again.
    cam = paths.publish("/cam", camera, H264_SDP).stream;
    for (let i = 0; i < 5; i++) {
      cam.forward(0, false, idr(), Date.now());
      await sleep(20);
    }
    return { before, after: target()?.stats(Date.now()).packetsIn ?? 0 };
  } finally {
    forward.stop();
    paths.close();
  }
}

Deno.test("path forward: re-attaches after an outage longer than grace + waitMs", async () => {
  // Grace (50) + waitMs (100) is 150 ms: the first re-attach attempt has given up long before.
  const { before, after } = await outage(400);
  assert.ok(before > 0, "forwarding works at first");
  assert.ok(
    after > before,
    `the session path gets the camera's video again (${before} → ${after})`,
  );
});

Deno.test("path forward: re-attaches after a short outage", async () => {
  const { before, after } = await outage(90);
  assert.ok(before > 0, "forwarding works at first");
  assert.ok(
    after > before,
    `the session path gets the camera's video again (${before} → ${after})`,
  );
});
