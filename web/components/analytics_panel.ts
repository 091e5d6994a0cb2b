/// <reference lib="dom" />
/**
 * A camera's analytics: on/off, the main settings (model, rate, classes, minimum score), and the
 * live numbers of its pipeline.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { AnalyticsStore } from "../lib/analytics_store.ts";
import type { AnalysisStats } from "../lib/types.ts";
import { field } from "./field.ts";
import { busy, statusLine } from "./status.ts";

const STAT_TEXT: [key: keyof NonNullable<AnalysisStats>, text: string][] = [
  ["frames", "frames seen"],
  ["detectorRuns", "detector runs"],
  ["gateSkipRatio", "skipped by the motion gate"],
  ["lastInferenceMs", "last inference ms"],
  ["tracks", "tracks"],
  ["openEvents", "open events"],
];

function statText(key: string, value: unknown): string {
  if (typeof value !== "number") return String(value ?? "–");
  if (key === "gateSkipRatio") return `${Math.round(value * 100)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * @param store the camera's settings
 * @param canWrite whether the role may change them
 * @returns the panel
 */
export function analyticsPanel(store: AnalyticsStore, canWrite: boolean): HTMLElement {
  const state = el("p", { class: "analytics-state" });
  const detector = el("input", { name: "detector", value: "centernet", maxlength: 64 });
  const fps = el("input", { name: "fps", type: "number", min: 1, max: 30, step: 1, value: "5" });
  const minScore = el("input", {
    name: "minScore",
    type: "number",
    min: 0,
    max: 1,
    step: 0.05,
    value: "0.4",
  });
  const classes = el("input", { name: "classes", placeholder: "person, car, dog" });
  const stats = el("dl", { class: "stats" });
  const save = el("button", { type: "submit", class: "primary" });
  const off = el("button", { type: "button" }, "Turn analytics off");
  const status = statusLine();
  let editing = false;
  for (const input of [detector, fps, minScore, classes]) {
    input.disabled = !canWrite;
    input.addEventListener("input", () => (editing = true));
  }

  const render = () => {
    const settings = store.get();
    state.textContent = settings
      ? "Analytics is on: the detector runs on this camera."
      : "Analytics is off. Saving the settings (or zones) turns it on.";
    save.textContent = settings ? "Save settings" : "Turn analytics on";
    off.hidden = !settings;
    // The live numbers reload every few seconds: never overwrite what the user is typing.
    if (settings && !editing) {
      detector.value = settings.detector;
      fps.value = String(settings.fps);
      minScore.value = String(settings.minScore);
      classes.value = settings.classes.join(", ");
    }
    const numbers = store.stats();
    replace(
      stats,
      ...(numbers
        ? STAT_TEXT.flatMap(([key, text]) => [
          el("dt", {}, text),
          el("dd", { "data-stat": key }, statText(key, numbers[key])),
        ])
        : []),
    );
  };
  store.subscribe(render);
  render();

  off.addEventListener("click", () => busy(status, off, () => store.detach(), "Analytics is off."));
  const form = el(
    "form",
    {
      class: "stack",
      on: {
        submit: (event) => {
          event.preventDefault();
          const list = classes.value.split(",").map((c) => c.trim()).filter(Boolean);
          editing = false;
          busy(status, save, () =>
            store.save({
              detector: detector.value.trim(),
              fps: Number(fps.value),
              minScore: Number(minScore.value),
              ...(list.length ? { classes: list } : {}),
            }), "Saved.");
        },
      },
    },
    state,
    el(
      "div",
      { class: "fields" },
      field("Model", detector),
      field("Frames analysed per second", fps),
      field("Minimum score", minScore, "0 to 1"),
      field("Classes", classes, "comma-separated labels; empty = the defaults"),
    ),
    canWrite && el("div", { class: "actions" }, save, off),
    status.root,
  );
  return el("div", {}, form, stats);
}
