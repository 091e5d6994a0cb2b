/**
 * The cheap liveness probe of a camera source that stopped answering: a TCP connect to its RTSP
 * port, closed at once. While it fails the puller starts no ffmpeg (issue 21, finding 7: a dead
 * camera's puller used to be restarted every ~0.7 s forever); the first answer hands the camera
 * back to the puller. Probes run once a second, then every ten seconds (models/backoff.ts).
 *
 * @module
 */

import { fromCallback } from "xstate";
import { probeDelay } from "../../models/backoff.ts";
import { sourceAddress } from "../../models/rtsp/source_address.ts";

/** One probe's time limit: a host that drops the SYN answers nothing. */
export const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether something accepts a TCP connection at the source's address within the time limit.
 *
 * @param url the camera URL
 * @param timeoutMs the time limit
 * @returns true when the connection opened (it is closed at once)
 */
export async function sourceAnswers(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const address = sourceAddress(url);
  if (!address) return false;
  const connecting = Deno.connect({ hostname: address.hostname, port: address.port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) =>
    timer = setTimeout(() => resolve("late"), timeoutMs)
  );
  try {
    const conn = await Promise.race([connecting, late]);
    if (conn === "late") {
      // Close the connection should it open after all; nothing waits for it.
      connecting.then((c) => c.close(), () => {});
      return false;
    }
    conn.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** What a probe loop is given. */
export interface ProbeInput {
  url: string;
  /** When the source stopped answering, epoch ms (the probes slow down after a few minutes). */
  downSince: number;
}

/**
 * Probes until the source answers, then sends `PROBE.ANSWERED` once. The first probe runs at
 * once. Cleanup stops the loop.
 */
export const probeSource = fromCallback<{ type: string }, ProbeInput>(({ input, sendBack }) => {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = async () => {
    const answered = await sourceAnswers(input.url);
    if (stopped) return;
    if (answered) {
      sendBack({ type: "PROBE.ANSWERED" });
      return;
    }
    timer = setTimeout(attempt, probeDelay(Date.now() - input.downSince));
  };
  void attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
});
