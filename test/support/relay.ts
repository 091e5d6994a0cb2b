/**
 * Relay test media (see scripts/sim/relay_media.ts): clips, publishers and ffmpeg readers.
 *
 * @module
 */
export {
  type ClipOptions,
  countFrames,
  makeClip,
  probeStream,
  type Proc,
  startPublisher,
  startReader,
  type VideoInfo,
} from "../../scripts/sim/relay_media.ts";
