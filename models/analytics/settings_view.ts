/**
 * The one view of a camera's settings that any API reply may carry. A webhook URL often holds
 * its secret in the path or query (Slack, Discord, Home Assistant, ntfy), and viewers may read
 * cameras and analytics, so every reply shows only its origin: `https://hooks.example.com/…`.
 * Every route that answers settings — the camera (`desired`) and its analytics — goes through
 * here, so a new route cannot show more than another.
 *
 * @module
 */
import type { DesiredState } from "../store/cameras.ts";

/** What replaces the path and query of a webhook URL. */
export const REDACTED = "…";

/**
 * A webhook URL cut to its origin (`scheme://host:port/…`); anything that does not parse is
 * replaced as a whole.
 *
 * @param url the stored URL
 * @returns the URL as replies show it
 * @example
 * ```ts
 * redactWebhookUrl("https://hooks.slack.com/services/T0/B0/SECRET"); // "https://hooks.slack.com/…"
 * ```
 */
export function redactWebhookUrl(url: unknown): string {
  if (typeof url !== "string" || !URL.canParse(url)) return REDACTED;
  const origin = new URL(url).origin;
  return origin === "null" ? REDACTED : `${origin}/${REDACTED}`;
}

/**
 * Analytics settings as replies show them. Stored settings are JSON from the database (maybe
 * written by an older version), so nothing about their shape is assumed beyond `webhook.url`.
 *
 * @param settings stored analytics settings
 * @returns a copy with the webhook URL redacted; anything else unchanged
 * @example
 * ```ts
 * settingsView({ fps: 5, webhook: { url: "https://h.example/x?token=s" } });
 * // { fps: 5, webhook: { url: "https://h.example/…" } }
 * ```
 */
export function settingsView<T>(settings: T): T {
  if (typeof settings !== "object" || settings === null || !("webhook" in settings)) {
    return settings;
  }
  const webhook = settings.webhook;
  if (typeof webhook !== "object" || webhook === null) return settings;
  return {
    ...settings,
    webhook: { ...webhook, url: redactWebhookUrl("url" in webhook ? webhook.url : undefined) },
  };
}

/**
 * A camera's desired state as replies show it: analytics settings through
 * {@linkcode settingsView}.
 *
 * @param desired the stored desired state
 * @returns a copy safe for any reader
 */
export function desiredView(desired: DesiredState): DesiredState {
  return desired.analytics === undefined
    ? { ...desired }
    : { ...desired, analytics: settingsView(desired.analytics) };
}
