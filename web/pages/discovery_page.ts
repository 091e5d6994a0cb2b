/// <reference lib="dom" />
/**
 * Discovery (admin): scan the LAN for ONVIF cameras (WS-Discovery, sent only when asked), list
 * what answered, adopt a device with its credentials.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { PageContext, View } from "../lib/page.ts";
import type { DevicePage, ScanReply, ScanRequest } from "../lib/types.ts";
import { busy, statusLine } from "../components/status.ts";
import { deviceRow } from "../components/device_row.ts";

/**
 * @param ctx the page context
 * @returns the view
 */
export function discoveryPage(ctx: PageContext): View {
  const status = statusLine();
  const list = el("ul", { class: "devices", "aria-label": "Devices found" });
  const empty = el("p", { class: "empty" }, "No devices seen yet. Scan to look for cameras.");
  const scan = el("button", { type: "button", class: "primary" }, "Scan the network");
  const load = async () => {
    const page = await ctx.api.get<DevicePage>("/api/discovery");
    replace(list, ...page.items.map((device) => deviceRow(ctx, device, load)));
    empty.hidden = page.items.length > 0;
  };
  scan.addEventListener("click", async () => {
    status.loading("Scanning for 3 s…");
    await busy(status, scan, async () => {
      // The window and interfaces are the box's defaults; the list below shows what answered.
      await ctx.api.send<ScanReply>("POST", "/api/discovery/scan", {} satisfies ScanRequest);
      await load();
    }, "Scan finished.");
  });
  status.loading("Loading devices…");
  load().then(() => status.done(), (error) => status.error(error));
  const root = el(
    "section",
    { class: "page" },
    el("h1", {}, "Discovery"),
    el(
      "p",
      { class: "hint" },
      "A scan sends one WS-Discovery probe on the box's networks; ONVIF cameras answer. " +
        "Adopt a camera with its user name and password to add it.",
    ),
    scan,
    status.root,
    empty,
    list,
  );
  return { title: "Discovery", root };
}
