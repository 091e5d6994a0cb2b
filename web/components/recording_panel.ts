/// <reference lib="dom" />
/**
 * Recording of one camera (startRecording / stopRecording): on or off, mode, and today's numbers.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import { type Api, isMissingRoute } from "../lib/api.ts";
import type { Recording, RecordingSettingsInput } from "../lib/types.ts";
import { bytes } from "../logic/format.ts";
import { poll } from "../lib/poll.ts";
import { badge } from "./badge.ts";
import { field, select } from "./field.ts";
import { busy, statusLine } from "./status.ts";

/**
 * @param api the client
 * @param camera camera id
 * @param canWrite whether the role may start and stop recording
 * @returns the panel and its dispose
 */
export function recordingPanel(
  api: Api,
  camera: string,
  canWrite: boolean,
): { root: HTMLElement; dispose(): void } {
  const path = `/api/cameras/${camera}/recording`;
  const state = el("span");
  const facts = el("p", { class: "facts" });
  const mode = select("mode", [["continuous", "Continuous"], ["events", "Only around events"]]);
  const toggle = el("button", { type: "button", class: "primary" }, "Start recording");
  const status = statusLine();
  const controls = el("div", { class: "inline" }, state, field("Mode", mode), canWrite && toggle);
  let current: Recording | undefined;
  const render = (recording: Recording) => {
    current = recording;
    replace(
      state,
      badge(recording.active ? recording.state : "not recording", recording.active ? "bad" : "off"),
    );
    if (recording.active) mode.value = recording.settings.mode;
    mode.disabled = !canWrite || recording.active;
    toggle.textContent = recording.active ? "Stop recording" : "Start recording";
    facts.textContent = [
      `today ${recording.today.segments} segments, ${bytes(recording.today.bytes)}`,
      recording.live?.lastError ?? "",
    ].filter(Boolean).join(" · ");
  };
  const load = async () => {
    try {
      render(await api.get<Recording>(path));
      if (status.root.dataset.tone === "loading") status.done();
    } catch (error) {
      if (!isMissingRoute(error)) return status.error(error);
      status.done("This box does not record.");
      controls.hidden = true;
      stop();
    }
  };
  status.loading("Loading recording…");
  // load() may stop this poll; it only does so after its first await, once `stop` is set.
  const stop = poll(3000, load);
  toggle.addEventListener("click", () =>
    busy(status, toggle, async () => {
      if (current?.active) await api.send("DELETE", path);
      else await api.send("PUT", path, { mode: mode.value } satisfies RecordingSettingsInput);
      await load();
    }));
  return {
    root: el(
      "div",
      {},
      controls,
      facts,
      status.root,
    ),
    dispose: stop,
  };
}
