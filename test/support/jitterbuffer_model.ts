/**
 * A model of the picture stamps GStreamer's rtpjitterbuffer gives a stream in slave mode (rtspsrc's
 * default; gst-plugins-good rtpjitterbuffer.c, `calculate_skew` and the backwards check of
 * `rtp_jitter_buffer_calculate_pts`, 1.22): each picture is stamped at the first arrival plus its
 * RTP time plus a skew. Over the first 2 s of RTP time the skew moves towards the smallest
 * (arrival − RTP) difference seen with a weight of (RTP time / 2 s)², then to it, then averages it
 * over 125 pictures; a difference more than 1 s off the skew restarts it. A stamp that would go
 * backwards is clamped to the one before, and h264parse then drops it ("Buffer has no PTS").
 *
 * @module
 */

/** What the jitter buffer made of a stream. */
export interface JitterOutcome {
  /** Pictures stamped no later than the one before (clamped: h264parse drops their stamp). */
  clamped: number;
  /** Times the skew estimate restarted (a jump of more than 1 s). */
  restarts: number;
}

/**
 * Stamps pictures as the jitter buffer would.
 *
 * @param pictures each picture's RTP time and arrival, in seconds, in order
 * @returns the clamped stamps and restarts
 */
export function stampPictures(
  pictures: readonly { rtp: number; arrival: number }[],
): JitterOutcome {
  const window: number[] = [];
  let skew = 0, min = 0, filling = true, baseArrival = NaN, baseRtp = NaN, prev = -Infinity;
  let clamped = 0, restarts = 0;
  for (const { rtp, arrival } of pictures) {
    if (Number.isNaN(baseArrival)) [baseArrival, baseRtp] = [arrival, rtp];
    let send = rtp - baseRtp;
    let delta = arrival - baseArrival - send;
    if (Math.abs(delta - skew) > 1) {
      restarts++;
      [baseArrival, baseRtp, send, delta, skew, filling] = [arrival, rtp, 0, 0, 0, true];
      window.length = 0;
    }
    if (filling) {
      window.push(delta);
      min = window.length === 1 ? delta : Math.min(min, delta);
      if (send >= 2 || window.length >= 512) {
        skew = min;
        filling = false;
      } else {
        const perc = Math.max(Math.floor(send * 50), Math.floor((window.length * 100) / 512)) ** 2;
        skew = (perc * min + (10000 - perc) * skew) / 10000;
      }
    } else {
      window.push(delta);
      if (window.length > 512) window.shift();
      min = Math.min(...window);
      skew = (min + 124 * skew) / 125;
    }
    const stamp = baseArrival + send + skew;
    if (stamp <= prev) clamped++;
    else prev = stamp;
  }
  return { clamped, restarts };
}

/**
 * A late reader's pictures: it starts `behindS` behind a live stream at `fps`, and each picture
 * goes out at `delay(mediaS)` after the start or when it exists, whichever is later.
 *
 * @param behindS the burst's age, s
 * @param fps picture rate
 * @param seconds how much media to play
 * @param delay when a picture `mediaS` after the first goes out, s after the start
 * @returns the pictures with their RTP time and arrival, s
 */
export function lateReader(
  behindS: number,
  fps: number,
  seconds: number,
  delay: (mediaS: number) => number,
): { rtp: number; arrival: number }[] {
  const out: { rtp: number; arrival: number }[] = [];
  let last = 0;
  for (let i = 0; i * (1 / fps) < seconds; i++) {
    const media = i / fps;
    last = Math.max(last, media - behindS, delay(media)) + 0.0001;
    out.push({ rtp: media, arrival: last });
  }
  return out;
}
