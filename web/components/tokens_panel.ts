/// <reference lib="dom" />
/**
 * Tokens (admin): the list (never secrets) with each token's cameras and last use, create with a
 * role and optionally a set of cameras (a viewer or media token then sees only those) — the new
 * secret is shown once — and revoke (two steps; the API refuses to revoke the last admin token).
 * Every role of the API is offered: the texts are keyed by the API's role type, so a role added
 * to the API fails the console's type check until it is described here.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Api } from "../lib/api.ts";
import type {
  CameraPage,
  CreatedToken,
  NewToken,
  Role,
  TokenInfo,
  TokenPage,
} from "../lib/types.ts";
import { shortTime } from "../logic/format.ts";
import { field, select } from "./field.ts";
import { busy, statusLine } from "./status.ts";

/** The roles in the form's order, with what each may do (models/auth.ts grants them). */
const ROLE_TEXT: Record<Role, string> = {
  viewer: "viewer — watch and read",
  media: "media — live streams only",
  metrics: "metrics — reads /metrics only (a Prometheus scraper)",
  admin: "admin — everything",
};

/**
 * Whether a token of the role can be limited to some cameras. An admin sees every camera; a
 * metrics token's one route, /metrics, is closed to camera-limited tokens, so a list would leave
 * it nothing.
 */
function takesCameras(role: Role): boolean {
  return role !== "admin" && role !== "metrics";
}

/**
 * @param api the client
 * @returns the panel
 */
export function tokensPanel(api: Api): HTMLElement {
  const status = statusLine();
  const list = el("ul", { class: "tokens", "aria-label": "Tokens" });
  const created = el("div", { class: "secret", role: "status" });
  created.hidden = true;

  const row = (token: TokenInfo) => {
    const revoke = el("button", { type: "button", class: "danger" }, "Revoke");
    const confirm = el("button", { type: "button", class: "danger" }, `Yes, revoke ${token.name}`);
    confirm.hidden = true;
    revoke.addEventListener("click", () => {
      confirm.hidden = false;
      confirm.focus();
    });
    confirm.addEventListener("click", async () => {
      const done = await busy(status, confirm, async () => {
        await api.send("DELETE", `/api/tokens/${token.id}`);
        return true;
      }, "Revoked.");
      if (done) await load();
    });
    const scope = token.cameras
      ? `cameras: ${token.cameras.map((id) => names.get(id) ?? id).join(", ")}`
      : "all cameras";
    const used = token.lastUsedAt ? `last used ${shortTime(token.lastUsedAt)}` : "never used";
    return el(
      "li",
      { "data-token": token.id },
      el("span", { class: "name" }, token.name),
      el("span", { class: "role" }, token.role),
      el("span", { class: "muted" }, `${scope} · since ${shortTime(token.createdAt)} · ${used}`),
      revoke,
      confirm,
    );
  };
  const names = new Map<string, string>();
  const scopeBox = el("fieldset", { class: "scope" });
  const load = async () => {
    const [page, cameras] = await Promise.all([
      api.get<TokenPage>("/api/tokens"),
      api.get<CameraPage>("/api/cameras?limit=500"),
    ]);
    for (const camera of cameras.items) names.set(camera.id, camera.name);
    replace(
      scopeBox,
      el("legend", {}, "Cameras it may see (none ticked: all)"),
      ...cameras.items.map((camera) =>
        el(
          "label",
          { class: "check" },
          el("input", { type: "checkbox", name: "camera", value: camera.id }),
          ` ${camera.name}`,
        )
      ),
    );
    replace(list, ...page.items.map(row));
  };

  const name = el("input", { name: "name", required: true, maxlength: 100 });
  const role = select("role", Object.entries(ROLE_TEXT) as [Role, string][]);
  const create = el("button", { type: "submit" }, "Create token");
  const form = el(
    "form",
    {
      class: "fields",
      "aria-label": "Create a token",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const cameras = [...scopeBox.querySelectorAll<HTMLInputElement>("input:checked")]
            .map((box) => box.value);
          const request: NewToken = {
            name: name.value.trim(),
            role: role.value,
            ...(cameras.length && takesCameras(role.value) ? { cameras } : {}),
          };
          const made = await busy(
            status,
            create,
            () => api.send<CreatedToken>("POST", "/api/tokens", request),
          );
          if (!made) return;
          form.reset();
          // reset() puts the first role back without a change event.
          scopeBox.disabled = !takesCameras(role.value);
          replace(
            created,
            el(
              "p",
              {},
              `Token for ${made.name} (${made.role}). Copy it now: it is not shown again.`,
            ),
            el("code", { class: "token-value" }, made.token),
          );
          created.hidden = false;
          await load();
        },
      },
    },
    field("Name", name),
    field("Role", role),
    scopeBox,
    create,
  );
  role.addEventListener("change", () => (scopeBox.disabled = !takesCameras(role.value)));
  status.loading("Loading tokens…");
  load().then(() => status.done(), (error) => status.error(error));
  return el("div", {}, form, created, status.root, list);
}
