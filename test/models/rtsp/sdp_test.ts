import assert from "node:assert/strict";
import {
  mediaIndexForControl,
  parseSdp,
  readerSdp,
  sameCodecs,
  sameMedia,
} from "../../../models/rtsp/sdp.ts";
import { ValidationError } from "../../../models/errors.ts";

/** What ffmpeg 5.1 ANNOUNCEs for H.264 + AAC (captured from `-f rtsp`). */
export const FFMPEG_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\n" +
  "t=0 0\r\na=tool:libavformat LIBAVFORMAT_VERSION\r\nm=video 0 RTP/AVP 96\r\n" +
  "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; " +
  "sprop-parameter-sets=Z/QADJGbKCg/YCIAAAMAAgAAAwAoHihTLA==,aOvjxEhE; profile-level-id=F4000C\r\n" +
  "a=control:streamid=0\r\nm=audio 0 RTP/AVP 97\r\nb=AS:69\r\n" +
  "a=rtpmap:97 MPEG4-GENERIC/44100/1\r\na=fmtp:97 profile-level-id=1;mode=AAC-hbr;" +
  "sizelength=13;indexlength=3;indexdeltalength=3; config=120856E500\r\na=control:streamid=1\r\n";

const H265_SDP = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=cam\nt=0 0\nm=video 0 RTP/AVP 96\n" +
  "a=rtpmap:96 H265/90000\na=fmtp:96 sprop-vps=QAE;sprop-sps=QgE;sprop-pps=RAE\n" +
  "a=control:rtsp://10.0.0.5/stream1/trackID=1\n";

Deno.test("parseSdp() reads each media section's codec, clock, parameters and control", () => {
  const sdp = parseSdp(FFMPEG_SDP);
  assert.equal(sdp.media.length, 2);
  const [video, audio] = sdp.media;
  assert.deepEqual(
    [video!.type, video!.encoding, video!.clockRate, video!.control],
    ["video", "H264", 90000, "streamid=0"],
  );
  assert.match(video!.fmtp ?? "", /sprop-parameter-sets=Z\/QADJGb/);
  assert.deepEqual(
    [audio!.type, audio!.encoding, audio!.clockRate, audio!.control],
    ["audio", "MPEG4-GENERIC", 44100, "streamid=1"],
  );
  const h265 = parseSdp(H265_SDP).media[0]!;
  assert.deepEqual([h265.encoding, h265.clockRate], ["H265", 90000]);
  const pcma = parseSdp("v=0\r\ns=x\r\nm=audio 0 RTP/AVP 8\r\n").media[0]!;
  assert.deepEqual([pcma.encoding, pcma.clockRate], ["PCMA", 8000], "static payload types");
});

Deno.test("parseSdp() refuses what is not a usable description", async (t) => {
  const cases: [string, string][] = [
    ["empty", ""],
    ["not SDP", "hello\r\n"],
    ["no media", "v=0\r\ns=x\r\n"],
    ["a malformed line", "v=0\r\nhello\r\nm=video 0 RTP/AVP 96\r\n"],
    ["a dynamic payload without rtpmap", "v=0\r\nm=video 0 RTP/AVP 96\r\n"],
    ["a malformed media line", "v=0\r\nm=video zero RTP/AVP 96\r\n"],
    ["nine media sections", "v=0\r\n" + "m=audio 0 RTP/AVP 0\r\n".repeat(9)],
    ["an oversized body", "v=0\r\n" + "a=x\r\n".repeat(5000) + "m=audio 0 RTP/AVP 0\r\n"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => assert.throws(() => parseSdp(text), ValidationError));
  }
});

Deno.test("readerSdp() keeps the media lines and gives each section a trackID control", () => {
  const out = readerSdp(parseSdp(FFMPEG_SDP), "/cam/1", 42);
  const lines = out.trimEnd().split("\r\n");
  assert.deepEqual(lines.slice(0, 6), [
    "v=0",
    "o=- 42 1 IN IP4 0.0.0.0",
    "s=/cam/1",
    "c=IN IP4 0.0.0.0",
    "t=0 0",
    "a=control:*",
  ]);
  assert.ok(lines.includes("a=control:trackID=0") && lines.includes("a=control:trackID=1"));
  assert.ok(!lines.includes("a=control:streamid=0"), "the publisher's controls are gone");
  assert.ok(lines.some((l) => l.includes("sprop-parameter-sets=Z/QADJGb")), "decoder config kept");
  assert.equal(parseSdp(out).media.length, 2, "readers get valid SDP");
});

Deno.test("sameMedia() lets readers continue only when codecs and parameters match", () => {
  const a = parseSdp(FFMPEG_SDP);
  const reordered = parseSdp(FFMPEG_SDP.replace(
    "packetization-mode=1; sprop-parameter-sets=Z/QADJGbKCg/YCIAAAMAAgAAAwAoHihTLA==,aOvjxEhE; profile-level-id=F4000C",
    "profile-level-id=F4000C;packetization-mode=1;sprop-parameter-sets=Z/QADJGbKCg/YCIAAAMAAgAAAwAoHihTLA==,aOvjxEhE",
  ));
  assert.ok(sameMedia(a, reordered), "parameter order does not matter");
  const resized = parseSdp(FFMPEG_SDP.replace("Z/QADJGb", "Z/QADJGc"));
  assert.ok(!sameMedia(a, resized), "new parameter sets mean a new picture");
  const videoOnly = parseSdp(FFMPEG_SDP.slice(0, FFMPEG_SDP.indexOf("m=audio")));
  assert.ok(!sameMedia(a, videoOnly), "a track less");
  assert.ok(!sameMedia(parseSdp(H265_SDP), videoOnly), "another codec");
});

Deno.test("sameCodecs() lets a live session's readers continue at another picture size", () => {
  const a = parseSdp(FFMPEG_SDP);
  assert.ok(sameCodecs(a, parseSdp(FFMPEG_SDP.replace("Z/QADJGb", "Z/QADJGc"))), "new size");
  const videoOnly = parseSdp(FFMPEG_SDP.slice(0, FFMPEG_SDP.indexOf("m=audio")));
  assert.ok(!sameCodecs(a, videoOnly), "a track less");
  assert.ok(!sameCodecs(parseSdp(H265_SDP), videoOnly), "another codec");
  assert.ok(
    !sameCodecs(
      videoOnly,
      parseSdp(
        FFMPEG_SDP.replace(/RTP\/AVP 96/, "RTP/AVP 97")
          .replace(/rtpmap:96/, "rtpmap:97").slice(0, FFMPEG_SDP.indexOf("m=audio")),
      ),
    ),
    "payload type",
  );
});

Deno.test("mediaIndexForControl() finds the section a publisher's SETUP names", () => {
  const sdp = parseSdp(FFMPEG_SDP);
  assert.equal(mediaIndexForControl(sdp, "/cam/1/streamid=0"), 0);
  assert.equal(mediaIndexForControl(sdp, "/cam/1/streamid=1"), 1);
  assert.equal(mediaIndexForControl(sdp, "/cam/1/streamid=2"), -1);
  assert.equal(mediaIndexForControl(parseSdp(H265_SDP), "/stream1/trackID=1"), 0);
  assert.equal(mediaIndexForControl(parseSdp("v=0\r\nm=audio 0 RTP/AVP 0\r\n"), "/x"), 0);
});
