/**
 * Outgoing webhooks: POST a JSON event to a user's URL (validated by the analytics settings:
 * http/https, no credentials), retried with backoff, never blocking the analysis. A bounded number
 * of deliveries may be in flight; beyond that new ones are dropped with a warning rather than
 * letting a dead endpoint grow memory.
 *
 * @module
 */
import type { Logger } from "../../models/log.ts";
import { backoffDelay } from "../../models/backoff.ts";

/** Attempts per delivery. */
export const WEBHOOK_ATTEMPTS = 4;
/** First retry delay; doubles per attempt. */
export const WEBHOOK_RETRY_BASE_MS = 500;
/** One attempt's time limit. */
export const WEBHOOK_TIMEOUT_MS = 5000;
/** Deliveries in flight at most (all cameras). */
export const WEBHOOK_MAX_IN_FLIGHT = 100;

let inFlight = 0;

/**
 * Delivers `body` to `url` in the background.
 *
 * @param url target (already validated)
 * @param body JSON-serializable payload
 * @param log where failures are reported
 * @returns a promise that settles when delivery succeeded or was given up (never rejects)
 */
export function postWebhook(url: string, body: unknown, log: Logger): Promise<boolean> {
  if (inFlight >= WEBHOOK_MAX_IN_FLIGHT) {
    log.warn("webhook dropped: too many deliveries in flight", { inFlight });
    return Promise.resolve(false);
  }
  inFlight++;
  const payload = JSON.stringify(body);
  return (async () => {
    try {
      for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "user-agent": "vigil" },
            body: payload,
            redirect: "manual",
            signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          });
          await response.body?.cancel();
          if (response.ok) return true;
          // A 4xx other than 429 will not get better by retrying.
          if (response.status < 500 && response.status !== 429) {
            log.warn("webhook refused", { status: response.status });
            return false;
          }
        } catch (error) {
          if (attempt === WEBHOOK_ATTEMPTS) log.warn("webhook failed", { error });
        }
        if (attempt < WEBHOOK_ATTEMPTS) {
          const delay = backoffDelay(attempt, {
            baseMs: WEBHOOK_RETRY_BASE_MS,
            maxMs: WEBHOOK_RETRY_BASE_MS * 2 ** WEBHOOK_ATTEMPTS,
            jitter: false,
          });
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      return false;
    } finally {
      inFlight--;
    }
  })();
}
