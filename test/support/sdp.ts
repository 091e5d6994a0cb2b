/**
 * The SDP of a one-track H.264 camera, for tests that publish RTP into the relay's streams
 * without a real camera.
 *
 * @module
 */
import { parseSdp } from "../../models/rtsp/sdp.ts";

/** A single H.264 video track at 90 kHz, packetization mode 1, control `streamid=0`. */
export const H264_SDP = parseSdp([
  "v=0",
  "o=- 0 0 IN IP4 127.0.0.1",
  "s=cam",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=video 0 RTP/AVP 96",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 packetization-mode=1",
  "a=control:streamid=0",
  "",
].join("\r\n"));
