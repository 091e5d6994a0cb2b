/// <reference lib="dom" />
/**
 * The top bar: the console's sections (those the role may use), who is signed in, sign out.
 *
 * @module
 */
import { el, replace } from "../lib/dom.ts";
import type { Role } from "../lib/types.ts";

/** Each section with the roles whose permissions (models/auth.ts) it serves. */
const SECTIONS: { hash: string; text: string; roles: Role[] }[] = [
  { hash: "#/cameras", text: "Cameras", roles: ["admin", "viewer"] },
  { hash: "#/events", text: "Events", roles: ["admin", "viewer"] },
  { hash: "#/discovery", text: "Discovery", roles: ["admin"] },
  // Health is open to all; a metrics token finds its metrics there.
  { hash: "#/system", text: "System", roles: ["admin", "viewer", "metrics"] },
];

/**
 * Where a role starts: the cameras, or System for a metrics token, which may read nothing else.
 *
 * @param role the signed-in role
 * @returns a console address
 */
export function homeOf(role: Role | undefined): string {
  return role === "metrics" ? "#/system" : "#/cameras";
}

/**
 * Fills the bar.
 *
 * @param bar the header element
 * @param role the signed-in role, or undefined before sign-in
 * @param signOut called by the sign-out button
 */
export function renderNav(bar: HTMLElement, role: Role | undefined, signOut: () => void): void {
  const brand = el("a", { class: "brand", href: homeOf(role) }, "Vigil");
  if (!role) return replace(bar, brand);
  const links = SECTIONS.filter((s) => s.roles.includes(role)).map((s) =>
    el("li", {}, el("a", { href: s.hash, "data-section": s.hash }, s.text))
  );
  replace(
    bar,
    brand,
    el("nav", { "aria-label": "Sections" }, el("ul", {}, ...links)),
    el(
      "span",
      { class: "who" },
      el("span", { class: "role", title: "the role of your token" }, role),
      el("button", { type: "button", class: "link", on: { click: signOut } }, "Sign out"),
    ),
  );
}

/**
 * Marks the section of the current address.
 *
 * @param bar the header element
 * @param hash `location.hash`
 */
export function markSection(bar: HTMLElement, hash: string): void {
  for (const link of bar.querySelectorAll<HTMLAnchorElement>("a[data-section]")) {
    const section = link.dataset.section ?? "";
    const current = hash === section || hash.startsWith(`${section}/`) ||
      hash.startsWith(`${section}?`) || (section === "#/cameras" && (hash === "" || hash === "#/"));
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
