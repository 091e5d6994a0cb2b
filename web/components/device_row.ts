/// <reference lib="dom" />
/**
 * A device found by discovery, with its adopt form (or a link to the camera it became).
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { PageContext } from "../lib/page.ts";
import type { AdoptRequest, Camera, CaptureRequest, Device } from "../lib/types.ts";
import { shortTime } from "../logic/format.ts";
import { field } from "./field.ts";
import { busy, statusLine } from "./status.ts";

/**
 * @param ctx the page context
 * @param device the device
 * @param reload reloads the list after an adoption
 * @returns the row
 */
export function deviceRow(
  ctx: PageContext,
  device: Device,
  reload: () => Promise<void>,
): HTMLElement {
  const title = device.name ?? device.hardware ?? device.address;
  const facts = [
    device.address,
    device.hardware ?? "",
    device.location ?? "",
    `last seen ${shortTime(device.lastSeen)}`,
  ].filter(Boolean).join(" · ");
  const head = el("div", {}, el("h2", {}, title), el("p", { class: "facts" }, facts));
  if (device.onboarded && device.cameraId) {
    return el(
      "li",
      { class: "card device" },
      head,
      el("a", { href: `#/cameras/${device.cameraId}` }, "Adopted: open the camera"),
    );
  }
  const name = el("input", { name: "name", value: device.name ?? "", maxlength: 100 });
  const username = el("input", { name: "username", required: true, autocomplete: "off" });
  const password = el("input", { name: "password", type: "password", autocomplete: "off" });
  const button = el("button", { type: "submit" }, "Adopt");
  const status = statusLine();
  const form = el(
    "form",
    {
      class: "fields",
      "aria-label": `Adopt ${title}`,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const camera = await busy(status, button, async () => {
            const request: AdoptRequest = {
              username: username.value,
              password: password.value,
              ...(name.value.trim() ? { name: name.value.trim() } : {}),
            };
            const adopted = await ctx.api.send<Camera>(
              "POST",
              `/api/discovery/${device.id}/adopt`,
              request,
            );
            // Adopted to be watched, like a camera added by hand.
            if (adopted) {
              const capture: CaptureRequest = { action: "start" };
              await ctx.api.send("POST", `/api/cameras/${adopted.id}/capture`, capture);
            }
            return adopted;
          }, "Adopted; capture started.");
          if (camera) await reload();
        },
      },
    },
    field("Camera name", name),
    field("User name", username),
    field("Password", password),
    button,
  );
  return el("li", { class: "card device" }, head, form, status.root);
}
