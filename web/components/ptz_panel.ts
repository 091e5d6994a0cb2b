/// <reference lib="dom" />
/**
 * PTZ of one camera: a pad (hold to move, release to stop), zoom, the camera's presets, home,
 * saving the current position, and the keyboard (web/logic/ptz_keys.ts) while the panel has
 * focus. A held move is sent again every {@linkcode RESEND_MS} with a short timeout, so a closed
 * tab or a lost connection stops the camera within {@linkcode MOVE_TIMEOUT_MS}. Hidden for a
 * camera without PTZ; viewers see the presets but get no controls (moving is for admins).
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { Ptz, PtzAction } from "../lib/types.ts";
import { ptzKeyAction } from "../logic/ptz_keys.ts";
import { field, select } from "./field.ts";
import { busy, statusLine } from "./status.ts";

/** How long one move lasts unless sent again. */
export const MOVE_TIMEOUT_MS = 1500;
/** How often a held move is sent again. */
export const RESEND_MS = 1000;
const SPEED = 0.6;

const PAD: [label: string, title: string, pan: number, tilt: number][] = [
  ["↖", "Up left", -1, 1],
  ["↑", "Up", 0, 1],
  ["↗", "Up right", 1, 1],
  ["←", "Left", -1, 0],
  ["■", "Stop", 0, 0],
  ["→", "Right", 1, 0],
  ["↙", "Down left", -1, -1],
  ["↓", "Down", 0, -1],
  ["↘", "Down right", 1, -1],
];

/**
 * @param api the client
 * @param camera camera id
 * @param canWrite whether the role may move the camera
 * @returns the panel, a card of the camera page hidden until the camera is known to have PTZ,
 *   and its dispose
 */
export function ptzPanel(
  api: Api,
  camera: string,
  canWrite: boolean,
): { root: HTMLElement; dispose(): void } {
  const path = `/api/cameras/${camera}/ptz`;
  const status = statusLine();
  const presets = select<string>("preset", []);
  const position = el("p", { class: "facts" });
  const goto = el("button", { type: "button" }, "Go to preset");
  const home = el("button", { type: "button" }, "Home");
  const name = el("input", { name: "preset-name", maxlength: 64, placeholder: "Name" });
  const save = el("button", { type: "button" }, "Save position");
  let current: Ptz | undefined;
  let held: ReturnType<typeof setInterval> | undefined;

  // One request at a time, in order: a stop must never overtake the move it ends.
  let queue: Promise<unknown> = Promise.resolve();
  const send = (action: PtzAction) => {
    const next = queue.then(() => api.send("POST", path, action));
    queue = next.catch(() => {});
    return next;
  };
  const move = (pan: number, tilt: number, zoom: number) => {
    release(false);
    const body: PtzAction = { action: "move", pan, tilt, zoom, timeoutMs: MOVE_TIMEOUT_MS };
    // A slow box must not queue repeats: a stop would wait behind all of them.
    let inFlight = false;
    const once = () => {
      if (inFlight) return;
      inFlight = true;
      void send(body).catch((error) => status.error(error)).finally(() => inFlight = false);
    };
    once();
    held = setInterval(once, RESEND_MS);
  };
  const release = (stop = true) => {
    if (held === undefined) return;
    clearInterval(held);
    held = undefined;
    if (stop) void send({ action: "stop" }).then(load, (error) => status.error(error));
  };
  const holdButton = (label: string, title: string, run: () => void) => {
    const button = el(
      "button",
      { type: "button", class: "ptz-key", title, "aria-label": title },
      label,
    );
    button.addEventListener("pointerdown", run);
    for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
      button.addEventListener(type, () => release());
    }
    return button;
  };

  const render = (ptz: Ptz) => {
    current = ptz;
    root.hidden = !ptz.supported;
    replace(presets, ...ptz.presets.map((p) => el("option", { value: p.token }, p.name)));
    const p = ptz.position;
    position.textContent = p
      ? `pan ${p.pan.toFixed(2)} · tilt ${p.tilt.toFixed(2)} · zoom ${p.zoom.toFixed(2)}`
      : "";
  };
  const load = async () => {
    try {
      render(await api.get<Ptz>(path));
      if (status.root.dataset.tone === "loading") status.done();
    } catch (error) {
      status.error(error);
    }
  };

  goto.addEventListener("click", () =>
    busy(status, goto, async () => {
      if (presets.value) await send({ action: "goto", preset: presets.value });
      await load();
    }));
  home.addEventListener("click", () =>
    busy(status, home, async () => {
      await send({ action: "home" });
      await load();
    }));
  save.addEventListener("click", () =>
    busy(status, save, async () => {
      const text = name.value.trim();
      if (!text) throw new Error("Give the preset a name.");
      await api.send("PUT", `${path}/presets/${encodeURIComponent(text)}`);
      name.value = "";
      await load();
    }, "Preset saved."));

  const pad = el(
    "div",
    { class: "ptz-pad" },
    ...PAD.map(([label, title, pan, tilt]) =>
      pan === 0 && tilt === 0
        ? el("button", {
          type: "button",
          class: "ptz-key",
          title,
          "aria-label": title,
          on: { click: () => void send({ action: "stop" }).then(load) },
        }, label)
        : holdButton(label, title, () => move(pan * SPEED, tilt * SPEED, 0))
    ),
  );
  const zoom = el(
    "div",
    { class: "inline" },
    holdButton("+", "Zoom in", () => move(0, 0, SPEED)),
    holdButton("−", "Zoom out", () => move(0, 0, -SPEED)),
  );
  const root = el(
    "section",
    { class: "card ptz", tabindex: 0, "aria-label": "PTZ controls (arrows, + and -, h, 1-9)" },
    el("h2", {}, "PTZ"),
    canWrite && el("div", { class: "inline" }, pad, zoom),
    el("div", { class: "inline" }, field("Preset", presets), canWrite && goto, canWrite && home),
    canWrite && el("div", { class: "inline" }, field("New preset", name), save),
    position,
    status.root,
  );
  root.hidden = true;
  if (canWrite) {
    root.addEventListener("keydown", (event) => {
      if (event.target !== root || event.repeat) return;
      const action = ptzKeyAction(event.key);
      if (!action) return;
      event.preventDefault();
      if (action.kind === "move") move(action.pan, action.tilt, action.zoom);
      else if (action.kind === "stop") release();
      else if (action.kind === "home") void send({ action: "home" }).then(load);
      else {
        const preset = current?.presets[action.index];
        if (preset) void send({ action: "goto", preset: preset.token }).then(load);
      }
    });
    root.addEventListener("keyup", (event) => {
      if (ptzKeyAction(event.key)?.kind === "move") release();
    });
    root.addEventListener("blur", () => release());
  }
  status.loading("Loading PTZ…");
  void load();
  return {
    root,
    dispose() {
      release();
    },
  };
}
