import assert from "node:assert/strict";
import {
  aggregateUrl,
  connectAddress,
  DEFAULT_SESSION_TIMEOUT_S,
  keepAliveMethod,
  keepAliveMs,
  parseSessionHeader,
  pullableMedia,
  pullEngine,
  trackUrl,
} from "../../../models/rtsp/client_session.ts";
import { parseSdp } from "../../../models/rtsp/sdp.ts";

Deno.test("pullEngine() keeps rtsps, http and UDP cameras with ffmpeg", async (t) => {
  const cases: [string, string, "tcp" | "udp" | undefined, string][] = [
    ["rtsp over TCP", "rtsp://cam/s", "tcp", "client"],
    ["rtsp with the default transport", "RTSP://cam/s", undefined, "client"],
    ["rtsp over UDP", "rtsp://cam/s", "udp", "ffmpeg"],
    ["rtsps", "rtsps://cam/s", "tcp", "ffmpeg"],
    ["http", "http://127.0.0.1:8000/clip.mp4", undefined, "ffmpeg"],
  ];
  for (const [name, url, transport, engine] of cases) {
    await t.step(name, () => assert.equal(pullEngine(url, transport), engine));
  }
});

Deno.test("connectAddress() finds host and port, 554 by default", async (t) => {
  const cases: [string, { hostname: string; port: number }][] = [
    ["rtsp://10.0.0.2/s", { hostname: "10.0.0.2", port: 554 }],
    ["rtsp://cam.lan:8554/s?x=1", { hostname: "cam.lan", port: 8554 }],
    ["rtsp://[::1]:8554/s", { hostname: "::1", port: 8554 }],
  ];
  for (const [url, expected] of cases) {
    await t.step(url, () => assert.deepEqual(connectAddress(url), expected));
  }
});

Deno.test("trackUrl() resolves a track's control against the base (RFC 2326 C.1.1)", async (t) => {
  const cases: [string, string, string | undefined, string][] = [
    ["relative, base with slash", "rtsp://cam/s/", "trackID=1", "rtsp://cam/s/trackID=1"],
    ["relative, base without slash", "rtsp://cam/s", "stream=0", "rtsp://cam/s/stream=0"],
    ["absolute", "rtsp://cam/s/", "rtsp://cam:554/s/track2", "rtsp://cam:554/s/track2"],
    ["aggregate", "rtsp://cam/s", "*", "rtsp://cam/s"],
    ["none", "rtsp://cam/s", undefined, "rtsp://cam/s"],
  ];
  for (const [name, base, control, expected] of cases) {
    await t.step(name, () => assert.equal(trackUrl(base, control), expected));
  }
});

Deno.test("aggregateUrl() is the session-level control resolved, else the base", async (t) => {
  const cases: [string, string[], string][] = [
    ["absolute", ["v=0", "a=control:rtsp://cam:554/live"], "rtsp://cam:554/live"],
    ["star", ["v=0", "a=control:*"], "rtsp://cam/s/"],
    ["relative", ["a=control:agg"], "rtsp://cam/s/agg"],
    ["none", ["v=0", "s=x"], "rtsp://cam/s/"],
  ];
  for (const [name, lines, expected] of cases) {
    await t.step(name, () => assert.equal(aggregateUrl("rtsp://cam/s/", lines), expected));
  }
});

Deno.test("parseSessionHeader() reads the id and timeout, 60 s when absent", async (t) => {
  const cases: [string | undefined, { id: string; timeoutS: number } | null][] = [
    ["6D2F1A;timeout=30", { id: "6D2F1A", timeoutS: 30 }],
    ["ZQAubV81EpW-Cg.C;timeout=2", { id: "ZQAubV81EpW-Cg.C", timeoutS: 2 }],
    ["12345678", { id: "12345678", timeoutS: DEFAULT_SESSION_TIMEOUT_S }],
    ["abc; timeout = 45", { id: "abc", timeoutS: 45 }],
    ["abc;timeout=0", { id: "abc", timeoutS: DEFAULT_SESSION_TIMEOUT_S }],
    ["", null],
    [undefined, null],
    ["a b", null],
  ];
  for (const [value, expected] of cases) {
    await t.step(String(value), () => assert.deepEqual(parseSessionHeader(value), expected));
  }
});

Deno.test("keepAliveMs() is half the session timeout, between 1 and 30 s", () => {
  assert.equal(keepAliveMs(60), 30_000);
  assert.equal(keepAliveMs(20), 10_000);
  assert.equal(keepAliveMs(1), 1000);
  assert.equal(keepAliveMs(600), 30_000);
});

Deno.test("keepAliveMethod() uses GET_PARAMETER when offered, else OPTIONS", () => {
  assert.equal(keepAliveMethod("OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER"), "GET_PARAMETER");
  assert.equal(keepAliveMethod("OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"), "OPTIONS");
  assert.equal(keepAliveMethod(undefined), "OPTIONS");
});

Deno.test("pullableMedia() keeps the RTP/AVP sections whatever the codec and drops the rest", async (t) => {
  const head = "v=0\r\no=- 0 0 IN IP4 10.0.0.2\r\ns=cam\r\nt=0 0\r\n";
  const video = "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=control:track1\r\n";
  const audio = "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\na=control:track2\r\n";
  const srtp = "m=audio 0 RTP/SAVP 0\r\na=control:track3\r\n";
  const onvif = "m=application 0 RTP/AVP 107\r\na=rtpmap:107 vnd.onvif.metadata/90000\r\n";
  await t.step("H.265 video, AAC audio and ONVIF metadata", () => {
    const sdp = pullableMedia(parseSdp(head + video + audio + onvif));
    assert.deepEqual(sdp.media.map((m) => m.encoding), [
      "H265",
      "MPEG4-GENERIC",
      "VND.ONVIF.METADATA",
    ]);
  });
  await t.step("an SRTP section is left out", () => {
    const sdp = pullableMedia(parseSdp(head + video + srtp));
    assert.deepEqual(sdp.media.map((m) => m.control), ["track1"]);
  });
  await t.step("nothing usable is an error", () => {
    assert.throws(() => pullableMedia(parseSdp(head + srtp)), /no RTP\/AVP media/);
  });
});
