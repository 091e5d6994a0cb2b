/// <reference lib="dom" />
/**
 * Sign-in with a token. The token is checked against the box before it is kept.
 *
 * @module
 */
import { el, uid } from "../lib/dom.ts";
import { detectRole } from "../lib/session.ts";
import { statusLine } from "./status.ts";
import type { Role } from "../lib/types.ts";
import { ApiError } from "../lib/api.ts";

/**
 * @param onSignedIn called with a token the box accepted and its role
 * @param notice a message to show first (e.g. why the user was signed out)
 * @returns the form's section
 */
export function signInView(
  onSignedIn: (token: string, role: Role) => void,
  notice?: string,
): HTMLElement {
  const id = uid("token");
  const input = el("input", {
    id,
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": `${id}-hint`,
  });
  const button = el("button", { type: "submit" }, "Sign in");
  const status = statusLine();
  if (notice) status.error(notice);
  const form = el(
    "form",
    {
      class: "card narrow",
      "aria-label": "Sign in",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (!token) return;
          button.disabled = true;
          status.loading("Checking the token…");
          try {
            onSignedIn(token, await detectRole(token));
          } catch (error) {
            status.error(
              error instanceof ApiError && error.status === 401
                ? "The box does not accept this token."
                : error,
            );
          } finally {
            button.disabled = false;
          }
        },
      },
    },
    el("h1", {}, "Sign in"),
    el("label", { for: id }, "Access token"),
    input,
    el(
      "p",
      { class: "hint", id: `${id}-hint` },
      "A token starts with vgl_. The first admin token is in data/admin-token on the box. " +
        "It is kept in this tab only.",
    ),
    button,
    status.root,
  );
  return el("section", { class: "sign-in" }, form);
}
