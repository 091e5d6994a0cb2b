/// <reference lib="dom" />
/**
 * State badges: a word and a colour (never the colour alone, for colour-blind users).
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { CameraState } from "../lib/types.ts";

/** Badge colours. */
export type Tone = "good" | "warn" | "bad" | "info" | "off";

/**
 * @param text what the badge says
 * @param tone its colour
 * @returns the badge
 */
export function badge(text: string, tone: Tone): HTMLElement {
  return el("span", { class: `badge ${tone}`, "data-badge": text }, text);
}

const STREAM_TONE: Record<CameraState["stream"], Tone> = {
  live: "good",
  connecting: "info",
  backoff: "warn",
  offline: "off",
};

/**
 * The badges of a camera: stream state, analytics, recording.
 *
 * @param state the camera's state
 * @returns the badge row
 */
export function cameraBadges(state: CameraState): HTMLElement {
  return el(
    "span",
    { class: "badges" },
    badge(state.stream, STREAM_TONE[state.stream] ?? "off"),
    state.analytics === "attached" && badge("analytics", "info"),
    state.recording !== "idle" && badge(state.recording, "bad"),
  );
}
