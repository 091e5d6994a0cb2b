/**
 * A per-camera budget of new `onvif` events per second. A hostile or broken camera can answer
 * every PullMessages with a hundred notifications; each would be a row, a live-feed message and
 * webhooks. Events over the budget are dropped (their close with them) and counted. Pure: the
 * budget is plain data kept by the caller.
 *
 * @module
 */
import type { EventAction } from "../analytics/event_types.ts";

/** New events kept per camera per second; more are dropped. */
export const MAX_ONVIF_EVENTS_PER_SECOND = 20;

/** A camera's budget: the current one-second window and the events dropped in it. */
export interface EventBudget {
  windowStart: number;
  opened: number;
  /** Keys of dropped opens whose close is still to come (dropped too). */
  dropped: Set<string>;
  /** Events dropped since the budget was made. */
  droppedTotal: number;
}

/**
 * A fresh budget.
 *
 * @returns the budget
 */
export function newEventBudget(): EventBudget {
  return { windowStart: 0, opened: 0, dropped: new Set(), droppedTotal: 0 };
}

/**
 * The actions within the budget: opens past the limit in the current second are dropped, and
 * so is the close of every dropped open.
 *
 * @param budget the camera's budget (updated)
 * @param actions the actions of one reply
 * @param now the time, ms
 * @param limit new events per second
 * @returns the actions to apply
 */
export function withinEventBudget(
  budget: EventBudget,
  actions: readonly EventAction[],
  now: number,
  limit = MAX_ONVIF_EVENTS_PER_SECOND,
): EventAction[] {
  if (now - budget.windowStart >= 1000) {
    budget.windowStart = now;
    budget.opened = 0;
  }
  const kept: EventAction[] = [];
  for (const action of actions) {
    if (action.type === "open") {
      if (budget.opened >= limit) {
        budget.dropped.add(action.key);
        budget.droppedTotal++;
        continue;
      }
      budget.opened++;
    } else if (action.type === "close" && budget.dropped.delete(action.key)) {
      continue;
    }
    kept.push(action);
  }
  return kept;
}
