/**
 * The simulated camera's event service (ver10 PullPoint): CreatePullPointSubscription hands out
 * a subscription address, PullMessages long-polls it, Renew and Unsubscribe manage it, and a
 * subscription not renewed in time is gone (PullMessages then faults, as on a real camera). A test
 * raises or clears the simulated motion alarm (`tns1:VideoSource/MotionAlarm`, property `State`)
 * and the tamper alarm (`tns1:VideoSource/GlobalSceneChange/ImagingService`); a new subscription
 * first gets every property's current state as `Initialized`, like the ONVIF core spec asks.
 *
 * @module
 */
import { childText, escapeXml, type XmlElement } from "../../models/onvif/xml.ts";
import { parseSeconds } from "./onvif_ptz.ts";

/** The simulated properties and their topics. */
export const SIM_TOPICS = {
  motion: "tns1:VideoSource/MotionAlarm",
  tamper: "tns1:VideoSource/GlobalSceneChange/ImagingService",
} as const;

/** The path of subscription addresses. */
export const SUBSCRIPTION_PATH = "/onvif/subscription/";

/** The simulated event service, for tests. */
export interface SimulatedEvents {
  /** Sets a property (`Changed` to every subscription). */
  set(property: keyof typeof SIM_TOPICS, state: boolean): void;
  /** Subscriptions alive now. */
  subscriptions(): number;
  /** Answers an event action (async: PullMessages waits), or undefined when it is not one. */
  respond(
    action: string,
    request: XmlElement,
    path: string,
    base: string,
    signal: AbortSignal,
  ): Promise<string | undefined>;
}

interface Subscription {
  expiresAt: number;
  queue: string[];
  wake?: () => void;
}

/** Options of {@linkcode createSimulatedEvents}. */
export interface SimulatedEventsOptions {
  /** Longest termination time granted, seconds (default 60): a short one tests renewal. */
  maxTerminationSeconds?: number;
  /** Delay before Unsubscribe answers, ms (default 0): widens the window for racing changes. */
  unsubscribeDelayMs?: number;
}

/**
 * Makes an event service with both alarms off.
 *
 * @param options the longest subscription granted
 * @returns the service
 */
export function createSimulatedEvents(options: SimulatedEventsOptions = {}): SimulatedEvents {
  const maxSeconds = options.maxTerminationSeconds ?? 60;
  const state: Record<keyof typeof SIM_TOPICS, boolean> = { motion: false, tamper: false };
  const subscriptions = new Map<string, Subscription>();
  const alive = (id: string) => {
    const subscription = subscriptions.get(id);
    if (subscription && subscription.expiresAt < Date.now()) subscriptions.delete(id);
    return subscriptions.get(id);
  };
  const grant = (requested: string | undefined) => {
    const seconds = Math.min(maxSeconds, parseSeconds(requested) ?? maxSeconds);
    return Date.now() + seconds * 1000;
  };
  const times = (subscription: Subscription) =>
    `<wsnt:CurrentTime>${new Date().toISOString()}</wsnt:CurrentTime>` +
    `<wsnt:TerminationTime>${
      new Date(subscription.expiresAt).toISOString()
    }</wsnt:TerminationTime>`;

  return {
    set(property, value) {
      state[property] = value;
      for (const subscription of subscriptions.values()) {
        subscription.queue.push(notification(property, value, "Changed"));
        subscription.wake?.();
      }
    },
    subscriptions: () => [...subscriptions.keys()].filter((id) => alive(id)).length,
    async respond(action, request, path, base, signal) {
      const id = path.startsWith(SUBSCRIPTION_PATH) ? path.slice(SUBSCRIPTION_PATH.length) : "";
      switch (action) {
        case "GetEventProperties":
          return `<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>` +
            `http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>` +
            `<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet></tev:GetEventPropertiesResponse>`;
        case "CreatePullPointSubscription": {
          const newId = crypto.randomUUID();
          const subscription: Subscription = {
            expiresAt: grant(childText(request, "InitialTerminationTime")),
            queue: (Object.keys(state) as (keyof typeof SIM_TOPICS)[])
              .map((p) => notification(p, state[p], "Initialized")),
          };
          subscriptions.set(newId, subscription);
          return `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
            `<wsa:Address>${base}${SUBSCRIPTION_PATH}${newId}</wsa:Address>` +
            `</tev:SubscriptionReference>${times(subscription)}` +
            `</tev:CreatePullPointSubscriptionResponse>`;
        }
        case "PullMessages": {
          const subscription = alive(id);
          if (!subscription) return undefined;
          const waitMs = Math.min(60, parseSeconds(childText(request, "Timeout")) ?? 1) * 1000;
          const limit = Number(childText(request, "MessageLimit") ?? 100);
          if (subscription.queue.length === 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, waitMs);
              const done = () => {
                clearTimeout(timer);
                resolve();
              };
              subscription.wake = done;
              signal.addEventListener("abort", done, { once: true });
            });
            subscription.wake = undefined;
          }
          const messages = subscription.queue.splice(0, Math.max(1, limit));
          return `<tev:PullMessagesResponse>${times(subscription)}${messages.join("")}` +
            `</tev:PullMessagesResponse>`;
        }
        case "Renew": {
          const subscription = alive(id);
          if (!subscription) return undefined;
          subscription.expiresAt = grant(childText(request, "TerminationTime"));
          return `<wsnt:RenewResponse>${times(subscription)}</wsnt:RenewResponse>`;
        }
        case "Unsubscribe":
          if (!alive(id)) return undefined;
          if (options.unsubscribeDelayMs) {
            await new Promise((resolve) => setTimeout(resolve, options.unsubscribeDelayMs));
          }
          subscriptions.get(id)?.wake?.();
          subscriptions.delete(id);
          return "<wsnt:UnsubscribeResponse/>";
        default:
          return undefined;
      }
    },
  };
}

function notification(
  property: keyof typeof SIM_TOPICS,
  value: boolean,
  operation: "Initialized" | "Changed",
): string {
  return `<wsnt:NotificationMessage><wsnt:Topic ` +
    `Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">` +
    `${SIM_TOPICS[property]}</wsnt:Topic><wsnt:Message>` +
    `<tt:Message UtcTime="${new Date().toISOString()}" PropertyOperation="${operation}">` +
    `<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="vsc_main"/>` +
    `</tt:Source><tt:Data><tt:SimpleItem Name="State" Value="${
      escapeXml(String(value))
    }"/></tt:Data></tt:Message></wsnt:Message>` +
    `</wsnt:NotificationMessage>`;
}
