/// <reference lib="dom" />
/**
 * Adds a camera by RTSP URL or by ONVIF address (admin), and starts its capture unless told not
 * to: a camera is added to be watched.
 *
 * @module
 */
import { el } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type { Camera, CaptureRequest, NewCamera } from "../lib/types.ts";
import { field, select } from "./field.ts";
import { busy, statusLine } from "./status.ts";

/**
 * @param api the client
 * @param onAdded called with the new camera
 * @returns the form, folded in a `<details>`, and its status line
 */
export function addCameraForm(api: Api, onAdded: (camera: Camera) => void): HTMLElement {
  const name = el("input", { name: "name", required: true, maxlength: 100, autocomplete: "off" });
  const how = select("how", [["rtsp", "RTSP URL"], ["onvif", "ONVIF address"]]);
  const rtspUrl = el("input", {
    name: "rtspUrl",
    type: "url",
    placeholder: "rtsp://user:pass@192.168.1.20:554/stream1",
    autocomplete: "off",
  });
  const host = el("input", { name: "host", placeholder: "192.168.1.20", autocomplete: "off" });
  const port = el("input", { name: "port", type: "number", min: 1, max: 65535, value: "80" });
  const username = el("input", { name: "username", autocomplete: "off" });
  const password = el("input", { name: "password", type: "password", autocomplete: "off" });
  const transport = select("transport", [["tcp", "TCP"], ["udp", "UDP"]]);
  const start = el("input", { name: "start", type: "checkbox", checked: true });
  const rtspFields = el(
    "div",
    { class: "fields" },
    field("RTSP URL", rtspUrl, "rtsp:// or rtsps://"),
  );
  const onvifFields = el(
    "div",
    { class: "fields" },
    field("Address", host),
    field("Port", port),
    field("User name", username),
    field("Password", password),
  );
  const switchHow = () => {
    const onvif = how.value === "onvif";
    onvifFields.hidden = !onvif;
    rtspFields.hidden = onvif;
    rtspUrl.required = !onvif;
    host.required = onvif;
    username.required = onvif;
  };
  how.addEventListener("change", switchHow);
  switchHow();
  const button = el("button", { type: "submit" }, "Add camera");
  const status = statusLine();
  const form = el(
    "form",
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          const body: NewCamera = how.value === "onvif"
            ? {
              name: name.value.trim(),
              transport: transport.value,
              onvif: {
                host: host.value.trim(),
                port: Number(port.value) || 80,
                username: username.value,
                password: password.value,
              },
            }
            : {
              name: name.value.trim(),
              transport: transport.value,
              rtspUrl: rtspUrl.value.trim(),
            };
          const camera = await busy(status, button, async () => {
            const created = await api.send<Camera>("POST", "/api/cameras", body);
            if (created && start.checked) {
              const capture: CaptureRequest = { action: "start" };
              return await api.send<Camera>(
                "POST",
                `/api/cameras/${created.id}/capture`,
                capture,
              ) ?? created;
            }
            return created;
          }, "Camera added.");
          if (camera) {
            form.reset();
            details.open = false;
            switchHow();
            onAdded(camera);
          }
        },
      },
    },
    field("Name", name),
    field("Add by", how),
    rtspFields,
    onvifFields,
    field("Transport", transport),
    el("label", { class: "check" }, start, " Start capture now"),
    el("div", { class: "wide actions" }, button),
  );
  const details = el(
    "details",
    { class: "card add-camera" },
    el("summary", {}, "Add a camera"),
    form,
  );
  // The status stays visible when the form folds after a success.
  return el("div", {}, details, status.root);
}
