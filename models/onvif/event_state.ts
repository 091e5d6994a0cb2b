/**
 * From a camera's notifications to Vigil events of kind `onvif`: a property (one topic and
 * source, e.g. the motion alarm of video source 1) opens an event when its state becomes true
 * (`Initialized` or `Changed`) and closes it when the state becomes false or the property is
 * `Deleted`. A notification without a boolean state or a property operation (a button press, a
 * line crossed by the camera's own analytics) is an instant: opened and closed at once. Pure: the
 * open properties are plain data kept by the caller.
 *
 * @module
 */
import type { EventAction } from "../analytics/event_types.ts";
import type { OnvifNotification } from "./events.ts";
import { uuidv7 } from "../ids.ts";

/** The open properties: key (topic and source) → the action key of its open event. */
export type OpenProperties = Map<string, string>;

/** Most properties open at once per camera; more are treated as instants. */
export const MAX_OPEN_PROPERTIES = 64;

/**
 * Whether a topic is wanted: no filter takes all; otherwise a topic matches a filter equal to
 * it or a parent of it (`tns1:VideoSource` takes `tns1:VideoSource/MotionAlarm`).
 *
 * @param topic the notification's topic
 * @param topics the camera's filter, or undefined for all
 * @returns true when wanted
 */
export function topicWanted(topic: string, topics: readonly string[] | undefined): boolean {
  if (!topics || topics.length === 0) return true;
  return topics.some((t) => topic === t || topic.startsWith(`${t}/`));
}

/**
 * The state a notification reports: the first data item that reads as a boolean.
 *
 * @param data the notification's data items
 * @returns true, false, or undefined when none is boolean
 */
export function propertyState(data: Record<string, string>): boolean | undefined {
  for (const value of Object.values(data)) {
    const v = value.trim().toLowerCase();
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
  }
  return undefined;
}

/**
 * Applies notifications to the open properties.
 *
 * @param open the open properties (changed in place)
 * @param notifications as read from PullMessages
 * @param options the topic filter and the time to use when a notification has none
 * @returns the actions for the event recorder
 * @example
 * ```ts
 * const open: OpenProperties = new Map();
 * onvifEventActions(open, [motionTrue], { now: Date.now() }); // [{ type: "open", ... }]
 * ```
 */
export function onvifEventActions(
  open: OpenProperties,
  notifications: readonly OnvifNotification[],
  options: { topics?: readonly string[]; now: number },
): EventAction[] {
  const actions: EventAction[] = [];
  for (const n of notifications) {
    if (!topicWanted(n.topic, options.topics)) continue;
    const at = n.at ?? options.now;
    const property = `${n.topic} ${JSON.stringify(Object.entries(n.source).sort())}`;
    const state = n.operation === "Deleted" ? false : propertyState(n.data);
    const key = open.get(property);
    if (n.operation !== undefined && state === false) {
      if (key === undefined) continue;
      open.delete(property);
      actions.push({ type: "close", key, endedAt: at });
    } else if (n.operation !== undefined && state === true) {
      if (key !== undefined) continue;
      const newKey = `onvif:${uuidv7()}`;
      if (open.size < MAX_OPEN_PROPERTIES) open.set(property, newKey);
      actions.push(openAction(newKey, n, at));
      if (!open.has(property)) actions.push({ type: "close", key: newKey, endedAt: at });
    } else {
      const instant = `onvif:${uuidv7()}`;
      actions.push(openAction(instant, n, at), { type: "close", key: instant, endedAt: at });
    }
  }
  return actions;
}

/**
 * Closes every open property (the subscription stopped: the camera was deleted, or its events
 * turned off).
 *
 * @param open the open properties (emptied)
 * @param now the end time
 * @returns the close actions
 */
export function closeAllProperties(open: OpenProperties, now: number): EventAction[] {
  const actions: EventAction[] = [...open.values()].map((key) => ({
    type: "close" as const,
    key,
    endedAt: now,
  }));
  open.clear();
  return actions;
}

/**
 * The event's label: the topic's last part without its prefix (`MotionAlarm`), at most 64
 * characters.
 *
 * @param topic the topic
 * @returns the label
 */
export function topicLabel(topic: string): string {
  const last = topic.split("/").filter(Boolean).at(-1) ?? topic;
  return last.slice(last.indexOf(":") + 1).slice(0, 64) || "onvif";
}

function openAction(key: string, n: OnvifNotification, at: number): EventAction {
  return {
    type: "open",
    key,
    event: {
      kind: "onvif",
      label: topicLabel(n.topic),
      startedAt: at,
      score: 0,
      details: {
        topic: n.topic,
        ...(n.operation ? { operation: n.operation } : {}),
        source: n.source,
        data: n.data,
      },
    },
  };
}

/** A camera's `onvif-events` settings (stored in its desired state). */
export interface OnvifEventSettings {
  /** On by default where the camera offers the event service. */
  enabled: boolean;
  /** Topics wanted (and their subtopics); null for all. */
  topics: string[] | null;
}

/**
 * Reads the stored settings (untyped JSON), defaulting to on with every topic.
 *
 * @param value `desired.onvifEvents`
 * @returns the settings
 */
export function readOnvifEventSettings(value: unknown): OnvifEventSettings {
  if (typeof value !== "object" || value === null) return { enabled: true, topics: null };
  const stored = value as { enabled?: unknown; topics?: unknown };
  const topics = Array.isArray(stored.topics) &&
      stored.topics.every((t): t is string => typeof t === "string")
    ? stored.topics
    : null;
  return { enabled: stored.enabled !== false, topics };
}
