import assert from "node:assert/strict";
import {
  desiredView,
  redactWebhookUrl,
  settingsView,
} from "../../../models/analytics/settings_view.ts";

Deno.test("redactWebhookUrl() keeps the origin only, and nothing of what does not parse", () => {
  const cases: [unknown, string][] = [
    ["https://hooks.slack.com/services/T0/B0/SECRET", "https://hooks.slack.com/…"],
    ["http://hass.local:8123/api/webhook/SECRET?x=1#y", "http://hass.local:8123/…"],
    ["https://ntfy.sh/topic?auth=SECRET", "https://ntfy.sh/…"],
    ["not a url SECRET", "…"],
    ["data:text/plain,SECRET", "…"],
    [42, "…"],
    [undefined, "…"],
  ];
  for (const [url, expected] of cases) assert.equal(redactWebhookUrl(url), expected, String(url));
});

Deno.test("settingsView() redacts the webhook URL and leaves everything else as it is", () => {
  const settings = {
    fps: 5,
    webhook: { url: "https://h.example/x?token=SECRET", events: ["zone"] },
  };
  assert.deepEqual(settingsView(settings), {
    fps: 5,
    webhook: { url: "https://h.example/…", events: ["zone"] },
  });
  assert.equal(settings.webhook.url, "https://h.example/x?token=SECRET", "the input is untouched");
  for (const odd of [undefined, null, 5, "x", { fps: 5 }, { webhook: null }]) {
    assert.deepEqual(settingsView(odd), odd);
  }
  assert.deepEqual(settingsView({ webhook: { events: [] } }), {
    webhook: { events: [], url: "…" },
  });
});

Deno.test("desiredView() shows analytics settings through settingsView()", () => {
  assert.deepEqual(
    desiredView({ capturing: true, analytics: { webhook: { url: "https://h.example/SECRET" } } }),
    { capturing: true, analytics: { webhook: { url: "https://h.example/…" } } },
  );
  assert.deepEqual(desiredView({ capturing: false }), { capturing: false });
});
