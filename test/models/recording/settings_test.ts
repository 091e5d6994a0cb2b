import assert from "node:assert/strict";
import {
  DEFAULT_RECORDING_SETTINGS,
  eventTriggers,
  parseRecordingSettings,
  readStoredRecording,
} from "../../../models/recording/settings.ts";
import { ValidationError } from "../../../models/errors.ts";

Deno.test("parseRecordingSettings() fills the defaults of every optional field", () => {
  assert.deepEqual(parseRecordingSettings({ mode: "continuous" }), {
    mode: "continuous",
    ...DEFAULT_RECORDING_SETTINGS,
    events: { kinds: ["object", "zone", "loitering", "line_cross"], labels: [] },
  });
});

Deno.test("parseRecordingSettings() keeps what was given, without duplicates", () => {
  const s = parseRecordingSettings({
    mode: "events",
    preRollS: 10,
    postRollS: 0,
    retainDays: 30,
    events: { kinds: ["zone", "zone"], labels: ["person", "car", "person"] },
  });
  assert.deepEqual(s, {
    mode: "events",
    preRollS: 10,
    postRollS: 0,
    retainDays: 30,
    events: { kinds: ["zone"], labels: ["person", "car"] },
  });
});

Deno.test("parseRecordingSettings() names the bad field", async (t) => {
  const cases: [string, unknown, string][] = [
    ["a missing mode", {}, "mode"],
    ["an unknown mode", { mode: "always" }, "mode"],
    ["an unknown field", { mode: "events", prerollS: 5 }, "prerollS"],
    ["a negative pre-roll", { mode: "events", preRollS: -1 }, "preRollS"],
    ["a pre-roll over a minute", { mode: "events", preRollS: 61 }, "preRollS"],
    ["a fractional retainDays", { mode: "events", retainDays: 1.5 }, "retainDays"],
    ["an unknown event kind", { mode: "events", events: { kinds: ["motion"] } }, "events.kinds.0"],
    ["no event kind", { mode: "events", events: { kinds: [] } }, "events.kinds"],
    ["a label with a newline", { mode: "events", events: { labels: ["a\nb"] } }, "events.labels.0"],
    ["an unknown events field", { mode: "events", events: { zones: [] } }, "events.zones"],
    ["a body that is not an object", [], ""],
  ];
  for (const [name, body, field] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseRecordingSettings(body), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.field, field);
        assert.equal(error.status, 422);
        return true;
      });
    });
  }
});

Deno.test("eventTriggers() matches configured kinds, and labels when a label filter is set", () => {
  const any = parseRecordingSettings({ mode: "events" });
  assert.equal(eventTriggers(any, { kind: "object", label: "dog" }), true);
  assert.equal(eventTriggers(any, { kind: "offline", label: null }), false);
  const people = parseRecordingSettings({ mode: "events", events: { labels: ["person"] } });
  assert.equal(eventTriggers(people, { kind: "zone", label: "person" }), true);
  assert.equal(eventTriggers(people, { kind: "zone", label: "car" }), false);
  assert.equal(eventTriggers(people, { kind: "object", label: null }), false);
});

Deno.test("readStoredRecording() reads the stored state and ignores what is not valid", () => {
  assert.deepEqual(readStoredRecording({ active: true, settings: { mode: "events" } }), {
    active: true,
    settings: parseRecordingSettings({ mode: "events" }),
  });
  assert.equal(readStoredRecording({ settings: { mode: "continuous" } })?.active, false);
  assert.equal(readStoredRecording({ active: true, settings: { mode: "sometimes" } }), null);
  assert.equal(readStoredRecording(null), null);
  assert.equal(readStoredRecording({ mode: "continuous" }), null);
});
