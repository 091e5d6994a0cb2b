/// <reference lib="dom" />
/**
 * Live video of a camera: an HLS live session (`POST /api/live`, output `hls`) played by hls.js
 * (bundled from npm, loaded only here), at the quality picked; changing the quality switches the
 * running session (`PUT /api/live/:session`, manageQuality) without reloading anything, and the
 * annotated toggle opens an annotated session in its place. The player sends the token as a
 * header; only a browser without Media Source Extensions (iPhone Safari) plays the session's
 * signed URL natively. The video keeps its 16:9 box before it starts: nothing jumps.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import { ApiError, errorText, isMissingRoute } from "../lib/api.ts";
import { type LiveQuality, type LiveRequest, type LiveSession, QUALITIES } from "../lib/types.ts";
import { field, select } from "./field.ts";
import { statusLine } from "./status.ts";

type Hls = import("hls.js").default;

const QUALITY_TEXT: Record<LiveQuality["quality"], string> = {
  source: "Source (no re-encode)",
  sub: "Sub-stream",
  "1080p": "1080p",
  "720p": "720p",
  "480p": "480p",
  "360p": "360p",
};

/**
 * @param api the client
 * @param camera camera id
 * @returns the view and its dispose (which ends the session)
 */
export function liveView(api: Api, camera: string): { root: HTMLElement; dispose(): void } {
  const video = el("video", {
    muted: true,
    autoplay: true,
    playsinline: true,
    "aria-label": "Live video",
  });
  video.muted = true;
  const frame = el("div", { class: "frame live" }, video);
  const quality = select("quality", QUALITIES.map((q) => [q, QUALITY_TEXT[q]] as const));
  quality.value = "source";
  const annotated = el("input", { type: "checkbox", name: "annotated" });
  const start = el("button", { type: "button" }, "Start live");
  const served = el("p", { class: "facts", "aria-live": "polite" });
  const controls = el(
    "div",
    { class: "inline" },
    field("Quality", quality),
    el("label", { class: "check" }, annotated, " Annotated (boxes and labels)"),
    start,
  );
  const status = statusLine();
  let session: LiveSession | undefined;
  let player: Hls | undefined;
  let disposed = false;

  const describe = (s: LiveSession) => {
    const kbps = s.served.bitrateKbps ? ` · ${s.served.bitrateKbps} kbit/s` : "";
    served.textContent = `${s.served.width}×${s.served.height} ${s.served.codec} · ${
      s.served.mode === "copy" ? "stream copy" : "re-encoded"
    }${kbps}${s.annotated ? " · annotated" : ""}`;
  };
  const end = async () => {
    player?.destroy();
    player = undefined;
    video.removeAttribute("src");
    const old = session;
    session = undefined;
    if (old) await api.send("DELETE", `/api/live/${old.id}`).catch(() => {});
  };
  const play = async (s: LiveSession) => {
    // The box may advertise another host name (VIGIL_PUBLIC_URL); the page talks to its origin.
    const path = s.urls.hls ? new URL(s.urls.hls, location.href).pathname : undefined;
    if (!path) throw new Error("the session has no HLS URL");
    const { default: HlsPlayer } = await import("hls.js");
    if (HlsPlayer.isSupported()) {
      player = new HlsPlayer({
        enableWorker: false,
        xhrSetup: (xhr) => xhr.setRequestHeader("Authorization", api.authorization()),
      });
      player.on(HlsPlayer.Events.ERROR, (_, data) => {
        if (data.fatal) status.error(`The player stopped: ${data.details}`);
      });
      player.loadSource(path);
      player.attachMedia(video);
    } else if (s.signedUrls.hls && video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = new URL(s.signedUrls.hls, location.href).pathname +
        new URL(s.signedUrls.hls).search;
    } else {
      throw new Error("this browser cannot play HLS");
    }
    await video.play().catch(() => {});
  };
  const open = async () => {
    status.loading("Starting the live stream…");
    start.disabled = true;
    try {
      await end();
      const body: LiveRequest = {
        camera,
        quality: quality.value,
        annotated: annotated.checked,
        output: "hls",
      };
      const opened = await api.send<LiveSession>("POST", "/api/live", body);
      if (!opened) return;
      if (disposed) {
        await api.send("DELETE", `/api/live/${opened.id}`).catch(() => {});
        return;
      }
      session = opened;
      describe(opened);
      await play(opened);
      status.done();
      start.textContent = "Stop live";
    } catch (error) {
      if (isMissingRoute(error)) {
        status.done("This box does not offer live sessions.");
        frame.hidden = controls.hidden = true;
        return;
      }
      status.error(
        error instanceof ApiError && error.status === 409
          ? "Annotated video needs analytics: turn analytics on first."
          : errorText(error),
      );
      start.textContent = "Start live";
    } finally {
      start.disabled = false;
    }
  };

  quality.addEventListener("change", async () => {
    if (!session) return;
    status.loading(`Switching to ${QUALITY_TEXT[quality.value]}…`);
    quality.disabled = true;
    try {
      const change: LiveQuality = { quality: quality.value };
      const next = await api.send<LiveSession>("PUT", `/api/live/${session.id}`, change);
      if (next) {
        session = next;
        describe(next);
      }
      status.done();
    } catch (error) {
      status.error(error);
      quality.value = session.quality;
    } finally {
      quality.disabled = false;
    }
  });
  annotated.addEventListener("change", () => {
    if (session) open();
  });
  start.addEventListener("click", async () => {
    if (session) {
      await end();
      start.textContent = "Start live";
      served.textContent = "";
    } else await open();
  });
  open();

  return {
    root: el(
      "div",
      {},
      frame,
      controls,
      served,
      status.root,
    ),
    dispose() {
      disposed = true;
      end();
    },
  };
}
