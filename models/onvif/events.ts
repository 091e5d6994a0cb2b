/**
 * The event service (ver10) as Vigil uses it: a PullPoint subscription (CreatePullPointSubscription,
 * PullMessages, Renew, Unsubscribe; the last three sent to the subscription's address with
 * WS-Addressing `Action` and `To`) and the notifications read from the replies. Reference
 * parameters are not echoed: our XML reader drops namespace declarations, so they could not be
 * written back faithfully; the cameras we know of name the subscription in its address.
 * Request builders and reply readers only; the subscription's lifecycle is
 * actors/onvif/pull_point.ts's.
 *
 * @module
 */
import { EVENTS_NAMESPACE } from "./session.ts";
import type { OnvifRequest } from "./requests.ts";
import { serviceUrl } from "./client.ts";
import { childText, escapeXml, findChild, findChildren, type XmlElement } from "./xml.ts";

const WSN = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager";

/** A subscription the camera granted. */
export interface PullPointSubscription {
  /** Where PullMessages, Renew and Unsubscribe go. */
  address: URL;
  /** How long the subscription lives from now, by the camera's clock, when it says. */
  ttlMs: number | undefined;
}

/** One notification: its topic, when, the property operation, and its source and data items. */
export interface OnvifNotification {
  /** `tns1:VideoSource/MotionAlarm` (as the camera spells it, prefix kept). */
  topic: string;
  /** Epoch ms of `UtcTime`, when readable. */
  at: number | undefined;
  /** `Initialized`, `Changed`, `Deleted`, or undefined for a stateless event. */
  operation: "Initialized" | "Changed" | "Deleted" | undefined;
  /** Source items (which video source, input...). */
  source: Record<string, string>;
  /** Data items (`State`, `IsMotion`...). */
  data: Record<string, string>;
}

/** Most notifications read from one reply, and most items per notification. */
export const MAX_NOTIFICATIONS = 100;
const MAX_ITEMS = 16;
const MAX_TEXT = 256;

/**
 * Subscribes to the event service.
 *
 * @param ttlSeconds the subscription's initial lifetime
 * @returns the request
 */
export function createPullPointSubscription(ttlSeconds: number): OnvifRequest {
  return {
    name: "CreatePullPointSubscription",
    action: `${EVENTS_NAMESPACE}/EventPortType/CreatePullPointSubscriptionRequest`,
    body: `<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT${ttlSeconds}S` +
      `</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
  };
}

/**
 * Waits up to `timeoutSeconds` for notifications.
 *
 * @param timeoutSeconds the long poll's length
 * @param limit most messages in the reply
 * @returns the request
 */
export function pullMessages(timeoutSeconds: number, limit = MAX_NOTIFICATIONS): OnvifRequest {
  return {
    name: "PullMessages",
    action: `${EVENTS_NAMESPACE}/PullPointSubscription/PullMessagesRequest`,
    body: `<tev:PullMessages><tev:Timeout>PT${timeoutSeconds}S</tev:Timeout>` +
      `<tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`,
  };
}

/**
 * Extends the subscription.
 *
 * @param ttlSeconds its new lifetime from now
 * @returns the request
 */
export function renew(ttlSeconds: number): OnvifRequest {
  return {
    name: "Renew",
    action: `${WSN}/RenewRequest`,
    body: `<wsnt:Renew><wsnt:TerminationTime>PT${ttlSeconds}S</wsnt:TerminationTime></wsnt:Renew>`,
  };
}

/** Ends the subscription. */
export const unsubscribe = (): OnvifRequest => ({
  name: "Unsubscribe",
  action: `${WSN}/UnsubscribeRequest`,
  body: "<wsnt:Unsubscribe/>",
});

/**
 * The WS-Addressing header of a call to a subscription.
 *
 * @param subscription the subscription
 * @param request the call
 * @returns header elements for `postSoap`'s `addressing`
 */
export function subscriptionAddressing(
  subscription: PullPointSubscription,
  request: OnvifRequest,
): string {
  return `<wsa:Action>${escapeXml(request.action)}</wsa:Action>` +
    `<wsa:To>${escapeXml(subscription.address.href)}</wsa:To>`;
}

/**
 * Reads a CreatePullPointSubscriptionResponse. The address is pinned to the device's host and
 * port like every service XAddr: PullMessages, Renew and Unsubscribe carry the camera's
 * WS-Security digest, which goes only to the camera's recorded address, never to a host the
 * camera names (SECURITY.md).
 *
 * @param response the response element
 * @param deviceUrl the device service URL that answered
 * @returns the subscription
 * @throws {OnvifError} `onvif_bad_reply` when the address is missing or not http(s)
 */
export function readSubscription(response: XmlElement, deviceUrl: URL): PullPointSubscription {
  const reference = findChild(response, "SubscriptionReference");
  const address = serviceUrl(childText(reference, "Address") ?? "", deviceUrl, "subscription");
  return { address, ttlMs: readTtl(response) };
}

/**
 * How long a subscription lives from now, from a reply's `CurrentTime` and `TerminationTime`
 * (both in the camera's clock, so its offset cancels out).
 *
 * @param response a Create, Renew or PullMessages response
 * @returns milliseconds, or undefined when the reply does not say
 */
export function readTtl(response: XmlElement): number | undefined {
  const current = Date.parse(childText(response, "CurrentTime") ?? "");
  const termination = Date.parse(childText(response, "TerminationTime") ?? "");
  const ttl = termination - current;
  return Number.isFinite(ttl) && ttl > 0 ? ttl : undefined;
}

/**
 * Reads the notifications of a PullMessagesResponse.
 *
 * @param response the response element
 * @returns at most {@linkcode MAX_NOTIFICATIONS}, in the camera's order; messages without a
 *   topic are left out
 */
export function readNotifications(response: XmlElement): OnvifNotification[] {
  const notifications: OnvifNotification[] = [];
  for (const item of findChildren(response, "NotificationMessage").slice(0, MAX_NOTIFICATIONS)) {
    const topic = printable(childText(item, "Topic") ?? "");
    if (!topic || topic.length > MAX_TEXT) continue;
    const message = findChild(findChild(item, "Message"), "Message");
    const operation = message?.attributes.PropertyOperation;
    notifications.push({
      topic,
      at: time(message?.attributes.UtcTime),
      operation: operation === "Initialized" || operation === "Changed" || operation === "Deleted"
        ? operation
        : undefined,
      source: items(findChild(message, "Source")),
      data: items(findChild(message, "Data")),
    });
  }
  return notifications;
}

function items(element: XmlElement | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const item of findChildren(element, "SimpleItem").slice(0, MAX_ITEMS)) {
    const name = item.attributes.Name;
    const value = item.attributes.Value;
    if (name && value !== undefined && name.length <= 64 && name !== "__proto__") {
      found[printable(name)] = printable(value).slice(0, MAX_TEXT);
    }
  }
  return found;
}

function time(text: string | undefined): number | undefined {
  const ms = Date.parse(text ?? "");
  return Number.isFinite(ms) ? ms : undefined;
}

/** Without control characters: a NUL would make the event row unstorable (jsonb refuses it). */
function printable(text: string): string {
  // deno-lint-ignore no-control-regex -- removing control characters is the point
  return text.replace(/[\x00-\x1f\x7f]/g, "");
}
