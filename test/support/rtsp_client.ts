/**
 * The bare RTSP client of scripts/sim/raw_rtsp.ts, for tests.
 *
 * @module
 */
export { basicAuth, RawRtsp } from "../../scripts/sim/raw_rtsp.ts";
