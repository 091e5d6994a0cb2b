/// <reference lib="dom" />
/**
 * Exports a clip (compileRecord): `POST /api/records` for a time range or an event, its progress,
 * then a download (fetched with the token, saved from a blob), its SHA-256 as the box stored it,
 * and "Verify", which asks the box to hash the file again (`GET /api/records/:id/verify`).
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { ClipRecord, CompileRequest, Verification } from "../lib/types.ts";
import { bytes, duration } from "../logic/format.ts";
import { badge } from "./badge.ts";
import { busy, statusLine } from "./status.ts";

/** How often a running job is asked about. */
const PROGRESS_MS = 1000;

/** What to export: a range of a camera, or an event (the API takes either). */
export type ClipRequest =
  | Required<Pick<CompileRequest, "camera" | "from" | "to">>
  | Required<Pick<CompileRequest, "event">>;

/**
 * Starts an export and follows it.
 *
 * @param api the client
 * @param request a range of a camera, or an event
 * @returns the job's panel and a dispose that stops following it
 */
export function clipExport(api: Api, request: ClipRequest): { root: HTMLElement; dispose(): void } {
  const progress = el("progress", { max: 1, value: 0, "aria-label": "Export progress" });
  const state = el("span");
  const facts = el("p", { class: "facts" });
  const hash = el("code", { class: "sha256", "data-sha256": "" });
  const actions = el("div", { class: "actions" });
  const verified = el("p", { "aria-live": "polite" });
  const status = statusLine();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let url: string | undefined;

  const download = el("button", { type: "button" }, "Download");
  const verify = el("button", { type: "button" }, "Verify");
  const render = (record: ClipRecord) => {
    progress.value = record.progress;
    replace(
      state,
      badge(
        record.state,
        record.state === "done" ? "good" : record.state === "failed" ? "bad" : "info",
      ),
    );
    facts.textContent = [
      record.durationS === null ? "" : duration(record.durationS * 1000),
      record.bytes === null ? "" : bytes(record.bytes),
      record.gaps.length ? `${record.gaps.length} gap(s) without recording skipped` : "",
      record.error ?? "",
    ].filter(Boolean).join(" · ");
    hash.textContent = record.sha256 ?? "";
    hash.dataset.sha256 = record.sha256 ?? "";
    if (record.state === "done") replace(actions, download, verify);
  };
  download.addEventListener("click", async (event) => {
    const id = (event.currentTarget as HTMLElement).dataset.record;
    if (!id) return;
    await busy(status, download, async () => {
      const blob = await api.blob(`/api/records/${id}/file`);
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: `vigil-clip-${id}.mp4` });
      link.click();
    }, "Downloaded.");
  });
  verify.addEventListener("click", async (event) => {
    const id = (event.currentTarget as HTMLElement).dataset.record;
    if (!id) return;
    const result = await busy(
      status,
      verify,
      () => api.get<Verification>(`/api/records/${id}/verify`),
    );
    if (!result) return;
    verified.textContent = result.matches
      ? `Verified: the file on the box still has SHA-256 ${result.sha256}.`
      : `NOT the clip that was made: the file now hashes to ${result.sha256}, ` +
        `but ${result.stored} was stored when it was compiled.`;
    verified.className = result.matches ? "ok-text" : "error-text";
  });

  const follow = async (id: string) => {
    if (stopped) return;
    try {
      const record = await api.get<ClipRecord>(`/api/records/${id}`);
      render(record);
      if (record.state === "queued" || record.state === "running") {
        timer = setTimeout(() => follow(id), PROGRESS_MS);
      }
    } catch (error) {
      status.error(error);
    }
  };
  (async () => {
    status.loading("Starting the export…");
    try {
      const record = await api.send<ClipRecord>("POST", "/api/records", request);
      if (!record) return;
      download.dataset.record = record.id;
      verify.dataset.record = record.id;
      status.done();
      render(record);
      await follow(record.id);
    } catch (error) {
      status.error(error);
    }
  })();

  return {
    root: el(
      "div",
      { class: "clip" },
      el("div", { class: "inline" }, progress, state),
      facts,
      el("p", { class: "hint" }, "SHA-256 recorded when the clip was made: ", hash),
      actions,
      verified,
      status.root,
    ),
    dispose() {
      stopped = true;
      clearTimeout(timer);
      if (url) URL.revokeObjectURL(url);
    },
  };
}
