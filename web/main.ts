/// <reference lib="dom" />
/**
 * The console's entry: sign-in, the top bar, and the hash router that swaps pages (disposing the
 * old one's timers and feeds).
 *
 * Decisions: no framework — the pages are forms, lists and one drawing surface, and a ~100-line
 * DOM helper (lib/dom.ts) that only ever makes text nodes keeps the page safe by construction and
 * the bundle small; hls.js is loaded only by pages that play video.
 *
 * @module
 */
import { el, replace } from "./lib/dom.ts";
import { createApi } from "./lib/api.ts";
import { detectRole, forgetToken, storedToken, storeToken } from "./lib/session.ts";
import type { PageContext, View } from "./lib/page.ts";
import type { Role } from "./lib/types.ts";
import { parseRoute, type Route } from "./logic/route.ts";
import { homeOf, markSection, renderNav } from "./components/nav.ts";
import { signInView } from "./components/sign_in.ts";
import { statusLine } from "./components/status.ts";
import { camerasPage } from "./pages/cameras_page.ts";
import { cameraPage } from "./pages/camera_page.ts";
import { eventsPage } from "./pages/events_page.ts";
import { eventPage } from "./pages/event_page.ts";
import { discoveryPage } from "./pages/discovery_page.ts";
import { systemPage } from "./pages/system_page.ts";

const bar = document.getElementById("bar")!;
const main = document.getElementById("main")!;
let current: View | undefined;
let ctx: PageContext | undefined;

function notFound(
  text: string,
  back = el("a", { href: "#/cameras" }, "Back to the cameras"),
): View {
  return {
    title: "Not found",
    root: el(
      "section",
      { class: "page" },
      el("h1", {}, "Not here"),
      el("p", {}, text),
      el("p", {}, back),
    ),
  };
}

function viewFor(route: Route, context: PageContext): View {
  if (context.role === "media") {
    return notFound(
      "This token has the media role: it may open live streams through the API, " +
        "but not use the console. Sign in with a viewer or admin token.",
    );
  }
  if (context.role === "metrics" && route.page !== "system") {
    return notFound(
      "This token has the metrics role: it may read the box's metrics (GET /metrics, for a " +
        "Prometheus scraper) and its health, nothing else. Sign in with a viewer or admin token " +
        "to use the rest of the console.",
      el("a", { href: "#/system" }, "Open System: health and metrics"),
    );
  }
  switch (route.page) {
    case "cameras":
      return camerasPage(context);
    case "camera":
      return cameraPage(context, route.id);
    case "events":
      return eventsPage(context, route.query);
    case "event":
      return eventPage(context, route.id);
    case "discovery":
      return context.canWrite ? discoveryPage(context) : notFound("Discovery is for admins.");
    case "system":
      return systemPage(context);
    case "not_found":
      return notFound(`There is no page at ${route.path || "/"}.`);
  }
}

function show(): void {
  if (!ctx) return;
  current?.dispose?.();
  current = viewFor(parseRoute(location.hash), ctx);
  document.title = `Vigil · ${current.title}`;
  replace(main, current.root);
  markSection(bar, location.hash);
  // Move focus to the new page so keyboard and screen-reader users start at its top.
  main.focus({ preventScroll: true });
}

function signOut(notice?: string): void {
  forgetToken();
  current?.dispose?.();
  current = undefined;
  ctx = undefined;
  renderNav(bar, undefined, () => {});
  document.title = "Vigil · Sign in";
  replace(main, signInView(signIn, notice));
}

function signIn(token: string, role: Role): void {
  storeToken(token);
  const api = createApi(token, () => signOut("The box no longer accepts this token."));
  ctx = {
    api,
    role,
    canWrite: role === "admin",
    navigate: (hash) => {
      // The same address again (e.g. the same filters applied) still renders the page anew.
      if (location.hash === hash) show();
      else location.hash = hash;
    },
  };
  renderNav(bar, role, () => signOut());
  // The default address is the cameras; a role that may not read them starts at its own home.
  const home = homeOf(role);
  if (parseRoute(location.hash).page === "cameras" && home !== "#/cameras") {
    location.hash = home; // hashchange shows it
    return;
  }
  show();
}

async function boot(): Promise<void> {
  globalThis.addEventListener("hashchange", show);
  const token = storedToken();
  if (!token) return signOut();
  const status = statusLine();
  replace(main, status.root);
  status.loading("Signing in…");
  try {
    signIn(token, await detectRole(token));
  } catch (error) {
    signOut(error instanceof Error ? error.message : String(error));
  }
}

boot();
