/**
 * Vigil's RTSP client against a scripted camera that answers the handshake and TEARDOWN but never
 * a keep-alive: closing the client must leave no timer behind (the keep-alive's request timer).
 */
import assert from "node:assert/strict";
import { RtspClient } from "../../../actors/stream/rtsp_client.ts";

const SDP = [
  "v=0",
  "o=- 0 0 IN IP4 127.0.0.1",
  "s=cam",
  "t=0 0",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=control:track1",
  "",
].join("\r\n");

/** A camera answering every request but GET_PARAMETER; its session times out after 2 s. */
function scriptedCamera() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      void (async () => {
        const buf = new Uint8Array(65536);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += new TextDecoder().decode(buf.subarray(0, n));
            let end: number;
            while ((end = text.indexOf("\r\n\r\n")) !== -1) {
              const request = text.slice(0, end);
              text = text.slice(end + 4);
              const method = request.split(" ")[0]!;
              const cseq = /CSeq:\s*(\d+)/i.exec(request)?.[1] ?? "0";
              seen.push(method);
              if (method === "GET_PARAMETER") continue;
              const headers = [`RTSP/1.0 200 OK`, `CSeq: ${cseq}`];
              let body = "";
              if (method === "OPTIONS") {
                headers.push("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER");
              }
              if (method === "DESCRIBE") {
                body = SDP;
                headers.push("Content-Type: application/sdp", `Content-Length: ${body.length}`);
              }
              if (method === "SETUP") {
                headers.push(
                  "Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
                  "Session: 12345;timeout=2",
                );
              }
              if (method === "PLAY" || method === "TEARDOWN") headers.push("Session: 12345");
              await conn.write(new TextEncoder().encode(headers.join("\r\n") + "\r\n\r\n" + body));
            }
          }
        } catch {
          // closed
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed
          }
        }
      })();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `rtsp://127.0.0.1:${port}/cam`,
    seen,
    async stop() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await loop;
    },
  };
}

/** Timers started through `setTimeout` and neither fired nor cleared yet. */
function trackTimers() {
  const pending = new Set<number>();
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    const id = set(() => {
      pending.delete(id);
      fn(...(args as []));
    }, ms) as unknown as number;
    pending.add(id);
    return id;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    if (id !== undefined) pending.delete(id);
    clear(id as unknown as Parameters<typeof clear>[0]);
  }) as unknown as typeof clearTimeout;
  return {
    pending,
    restore() {
      globalThis.setTimeout = set;
      globalThis.clearTimeout = clear;
    },
  };
}

Deno.test("closing the RTSP client while a keep-alive is unanswered leaves no timer running", async () => {
  const camera = scriptedCamera();
  const timers = trackTimers();
  try {
    const client = await RtspClient.open({
      url: camera.url,
      timeoutMs: 60_000,
      onPlay: () => {},
      onPacket: () => {},
      onClose: () => {},
    });
    // Keep-alives every 1 s (half the 2 s session timeout); the tick looks every 500 ms.
    const deadline = Date.now() + 5000;
    while (!camera.seen.includes("GET_PARAMETER") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(camera.seen.includes("GET_PARAMETER"), `requests: ${camera.seen}`);
    await client.close();
    assert.ok(camera.seen.includes("TEARDOWN"), `requests: ${camera.seen}`);
    // The keep-alive's request timer (1 s) outlives the client: up to 30 s with a 60 s session.
    assert.equal(timers.pending.size, 0, `${timers.pending.size} timer(s) left after close()`);
  } finally {
    timers.restore();
    await camera.stop();
  }
});
