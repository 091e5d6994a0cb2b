/**
 * Latency probe for the relay benchmark, run in a Worker so its event loop is not the relay's: it
 * publishes synthetic H.264-shaped RTP to the relay (ANNOUNCE/SETUP/RECORD, then `$` frames at a
 * given bitrate and frame rate, a keyframe every second) with the send time written into each
 * packet, reads the same path back as a reader, and reports for each packet the time from its
 * write to its arrival: what the relay adds, plus two loopback TCP hops.
 *
 * Message in: `{ port, path, kbps, fps, seconds }`; message out: `{ latencies: number[] }` (ms),
 * or `{ error }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />

import { RawRtsp } from "./sim/raw_rtsp.ts";
import { encodeInterleaved } from "../models/rtsp/interleaved.ts";
import { header } from "../models/rtsp/message.ts";

/** What the probe is asked to do. */
export interface ProbeRequest {
  port: number;
  path: string;
  kbps: number;
  fps: number;
  seconds: number;
}

const SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=probe\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" +
  "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:streamid=0\r\n";
const PACKET = 1200;

async function run(req: ProbeRequest): Promise<number[]> {
  const url = `rtsp://127.0.0.1:${req.port}${req.path}`;
  const pub = await RawRtsp.connect(req.port);
  const announced = await pub.request("ANNOUNCE", url, [["Content-Type", "application/sdp"]], SDP);
  if (announced?.status !== 200) throw new Error(`ANNOUNCE: ${announced?.status}`);
  const setup = await pub.request("SETUP", `${url}/streamid=0`, [
    ["Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"],
  ]);
  const session = header(setup?.headers ?? [], "session")?.split(";")[0] ?? "";
  const recorded = await pub.request("RECORD", url, [["Session", session]]);
  if (recorded?.status !== 200) throw new Error(`RECORD: ${recorded?.status}`);

  const latencies: number[] = [];
  const reader = await RawRtsp.connect(req.port);
  reader.onPacket = (channel, packet) => {
    if (channel !== 0 || packet.length < 21) return;
    const sent = new DataView(packet.buffer, packet.byteOffset + 13, 8).getFloat64(0);
    latencies.push(performance.now() - sent);
  };
  const perFrame = Math.max(1, Math.round((req.kbps * 1000) / 8 / req.fps / PACKET));
  let seq = 0;
  let frameNo = 0;
  const sendFrame = async () => {
    const frames: Uint8Array[] = [];
    const ts = (frameNo * 90000 / req.fps) >>> 0;
    for (let i = 0; i < perFrame; i++) {
      const p = new Uint8Array(PACKET);
      const v = new DataView(p.buffer);
      p[0] = 0x80;
      p[1] = 96 | (i === perFrame - 1 ? 0x80 : 0);
      v.setUint16(2, seq++ & 0xffff);
      v.setUint32(4, ts);
      v.setUint32(8, 0x1234);
      p[12] = frameNo % req.fps === 0 && i === 0 ? 0x65 : 0x41;
      v.setFloat64(13, performance.now());
      frames.push(encodeInterleaved(0, p));
    }
    frameNo++;
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    await pub.write(all);
  };
  // Publish a little before the reader joins, so it joins a running stream.
  const start = performance.now();
  // One write at a time: a frame waits for the previous one instead of interleaving with it.
  let chain = Promise.resolve();
  const ticker = setInterval(() => {
    chain = chain.then(sendFrame).catch(() => {});
  }, 1000 / req.fps);
  await new Promise((r) => setTimeout(r, 1500));
  const status = await reader.play(url);
  if (status !== 200) throw new Error(`PLAY: ${status}`);
  reader.startReading();
  // The keyframe cache replays up to a second of old packets at once: count only live ones.
  await new Promise((r) => setTimeout(r, 1500));
  latencies.length = 0;
  await new Promise((r) => setTimeout(r, req.seconds * 1000 - (performance.now() - start) + 3000));
  clearInterval(ticker);
  await reader.close();
  await pub.close();
  return latencies;
}

self.onmessage = async (e: MessageEvent<ProbeRequest>) => {
  try {
    self.postMessage({ latencies: await run(e.data) });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
