/**
 * One camera's PullPoint subscription, owned by its camera unit: subscribe, long-poll
 * PullMessages, renew when half the granted lifetime has passed, and on any failure (the camera
 * restarted and forgot the subscription, went away, sent garbage) back off and subscribe again.
 * `stop()` ends the poll, unsubscribes (bounded), and closes the events still open. A camera that
 * offers no event service is left alone (`unsupported`) until it is restarted or its settings
 * change. Every call has the client's size and time limits, so a hostile device costs one
 * bounded reply per call and a backoff between attempts.
 *
 * @module
 */
import { type OnvifSession, openOnvifSession } from "../../models/onvif/session.ts";
import { DEFAULT_ONVIF_TIMEOUT_MS } from "../../models/onvif/client.ts";
import * as events from "../../models/onvif/events.ts";
import {
  closeAllProperties,
  onvifEventActions,
  type OpenProperties,
} from "../../models/onvif/event_state.ts";
import type { EventAction } from "../../models/analytics/event_types.ts";
import type { OnvifAccess } from "../../models/onvif/session.ts";
import { backoffDelay } from "../../models/backoff.ts";
import { newEventBudget, withinEventBudget } from "../../models/onvif/event_rate.ts";
import { createLogger } from "../../models/log.ts";

/** Lifetime asked for a subscription, seconds. */
export const SUBSCRIPTION_TTL_S = 60;
/** One PullMessages long poll, seconds. */
export const PULL_TIMEOUT_S = 10;
/** Backoff between attempts to subscribe. */
export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/** Shortest time between two PullMessages (a camera may answer every poll with events). */
export const MIN_POLL_INTERVAL_MS = 250;
/** Shortest renewal interval, whatever lifetime the camera grants (1 s keeps a 2 s grant alive). */
export const MIN_RENEW_INTERVAL_MS = 1000;
/** How long stop() waits for Unsubscribe. */
export const UNSUBSCRIBE_TIMEOUT_MS = 2000;

/** What the subscription is doing. */
export type PullPointState = "connecting" | "subscribed" | "retrying" | "unsupported" | "stopped";

/** The subscription's numbers, for the API. */
export interface PullPointStatus {
  state: PullPointState;
  /** When the current subscription was made (ms), or null. */
  subscribedAt: number | null;
  /** Subscriptions made since start (more than one: the camera restarted or failed). */
  subscriptions: number;
  /** Notifications received. */
  received: number;
  /** Events dropped over the per-second budget (a camera flooding notifications). */
  dropped: number;
  lastError: string | null;
}

/** Options of {@linkcode startPullPoint}. */
export interface PullPointOptions {
  cameraId: string;
  /** Reads the camera's access each time it subscribes (it may have moved). */
  access: () => Promise<OnvifAccess>;
  /** Topics wanted (and their subtopics); undefined for all. */
  topics?: readonly string[];
  /** Where the actions go (the camera's event recorder). */
  apply: (actions: EventAction[]) => void;
  /** Overrides of the timing constants (tests). */
  ttlS?: number;
  pullTimeoutS?: number;
  retryBaseMs?: number;
}

/** A running subscription. */
export interface PullPoint {
  status(): PullPointStatus;
  /** Ends it: unsubscribes (bounded) and closes the open events. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a camera's subscription loop.
 *
 * @param options camera, access, topics, where the actions go
 * @returns the running subscription
 */
export function startPullPoint(options: PullPointOptions): PullPoint {
  const log = createLogger("onvif-events", { camera: options.cameraId });
  const ttlS = options.ttlS ?? SUBSCRIPTION_TTL_S;
  const pullS = options.pullTimeoutS ?? PULL_TIMEOUT_S;
  const stopping = new AbortController();
  const open: OpenProperties = new Map();
  const budget = newEventBudget();
  const status: PullPointStatus = {
    state: "connecting",
    subscribedAt: null,
    subscriptions: 0,
    received: 0,
    dropped: 0,
    lastError: null,
  };
  let current: { session: OnvifSession; subscription: events.PullPointSubscription } | undefined;

  const call = (request: ReturnType<typeof events.pullMessages>, timeoutMs?: number) => {
    const { session, subscription } = current!;
    return session.call(subscription.address, request, {
      addressing: events.subscriptionAddressing(subscription, request),
      timeoutMs,
    });
  };

  /** Best-effort, bounded Unsubscribe of a subscription. */
  const unsubscribe = async (subscription: typeof current) => {
    if (!subscription) return;
    const { session, subscription: sub } = subscription;
    await session.call(sub.address, events.unsubscribe(), {
      addressing: events.subscriptionAddressing(sub, events.unsubscribe()),
      timeoutMs: UNSUBSCRIBE_TIMEOUT_MS,
      signal: AbortSignal.timeout(UNSUBSCRIBE_TIMEOUT_MS),
    }).catch((error) => log.debug("unsubscribe failed", { error }));
  };

  /** One subscription, polled until it fails or stop() is called. */
  const subscribeAndPoll = async () => {
    const access = await options.access();
    const session = await openOnvifSession(access, stopping.signal);
    // A long poll may last its whole timeout; the usual call limit comes on top.
    const slackMs = access.timeoutMs ?? DEFAULT_ONVIF_TIMEOUT_MS;
    if (!session.eventsUrl) {
      status.state = "unsupported";
      return "unsupported" as const;
    }
    const created = await session.call(
      session.eventsUrl,
      events.createPullPointSubscription(ttlS),
    );
    current = { session, subscription: events.readSubscription(created, session.deviceUrl) };
    status.state = "subscribed";
    status.subscribedAt = Date.now();
    status.subscriptions++;
    status.lastError = null;
    log.info("subscribed to the camera's events", { address: current.subscription.address.host });
    // A tiny granted lifetime (or none in the past) must not make Renew run every iteration.
    const renewIn = (ttlMs: number | undefined) =>
      Date.now() + Math.max(MIN_RENEW_INTERVAL_MS, (ttlMs ?? ttlS * 1000) / 2);
    let renewAt = renewIn(current.subscription.ttlMs);
    while (!stopping.signal.aborted) {
      if (Date.now() >= renewAt) {
        renewAt = renewIn(events.readTtl(await call(events.renew(ttlS))));
      }
      // Never poll past the renewal: a long poll must not outlive the subscription.
      const waitS = Math.max(1, Math.min(pullS, Math.floor((renewAt - Date.now()) / 1000)));
      const polledAt = Date.now();
      const reply = await call(events.pullMessages(waitS), waitS * 1000 + slackMs);
      const notifications = events.readNotifications(reply);
      status.received += notifications.length;
      const actions = onvifEventActions(open, notifications, {
        topics: options.topics,
        now: Date.now(),
      });
      const kept = withinEventBudget(budget, actions, Date.now());
      if (budget.droppedTotal > status.dropped) {
        log.warn("camera floods events; dropped over the budget", {
          dropped: budget.droppedTotal - status.dropped,
        });
        status.dropped = budget.droppedTotal;
      }
      if (kept.length > 0) options.apply(kept);
      // A camera answering at once (ignoring the Timeout) must not make this a tight loop: an
      // empty early reply waits out half the poll, any reply a short floor.
      const floorMs = notifications.length === 0 ? waitS * 500 : MIN_POLL_INTERVAL_MS;
      await sleep(polledAt + floorMs - Date.now(), stopping.signal);
    }
    return "stopped" as const;
  };

  const loop = (async () => {
    let attempt = 0;
    while (!stopping.signal.aborted) {
      try {
        status.state = status.subscriptions === 0 ? "connecting" : "retrying";
        if (await subscribeAndPoll() === "unsupported") {
          log.info("the camera offers no event service");
          return;
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        // A subscription that was polled successfully starts the backoff over.
        attempt = current && status.subscribedAt ? 1 : attempt + 1;
        // The camera may still hold the failed subscription (garbage reply, a Renew refused):
        // let it go before making another, so a flaky camera does not collect ours.
        const failed = current;
        current = undefined;
        await unsubscribe(failed);
        status.state = "retrying";
        status.lastError = error instanceof Error ? error.message : String(error);
        log.warn("camera events interrupted; subscribing again", { error, attempt });
        await sleep(
          backoffDelay(attempt, {
            baseMs: options.retryBaseMs ?? RETRY_BASE_MS,
            maxMs: RETRY_MAX_MS,
          }),
          stopping.signal,
        );
      }
    }
  })();

  let stopped: Promise<void> | undefined;
  return {
    status: () => ({ ...status }),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await loop.catch(() => {});
        const last = current;
        current = undefined;
        await unsubscribe(last);
        const closing = closeAllProperties(open, Date.now());
        if (closing.length > 0) options.apply(closing);
        status.state = "stopped";
      })();
      return stopped;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
