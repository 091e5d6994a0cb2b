import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import {
  DEFAULT_ANALYTICS_SETTINGS,
  type KnownNames,
  parseAnalyticsSettings,
} from "../../../models/analytics/settings.ts";
import { EVENT_KINDS } from "../../../models/analytics/settings_schema.ts";

const COCO_START = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck"];
const KNOWN: KnownNames = {
  models: ["centernet", "yolo"],
  labels: [...COCO_START, "boat", "dog", "cat", "horse"],
};
const SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]];

Deno.test("parseAnalyticsSettings() fills every default for an empty body", () => {
  assert.deepEqual(parseAnalyticsSettings({}, KNOWN), DEFAULT_ANALYTICS_SETTINGS);
});

Deno.test("parseAnalyticsSettings() keeps a full valid body", () => {
  const body = {
    detector: "yolo",
    fps: 10,
    classes: ["person", "dog"],
    minScore: 0.55,
    zones: [{ name: "front door", polygon: SQUARE, classes: ["person"], loiterSeconds: 30 }],
    masks: [{ polygon: [[0.8, 0], [1, 0], [1, 0.2]] }],
    lines: [{ name: "gate", a: [0, 0.7], b: [1, 0.7], classes: ["dog"] }],
    rules: {
      confirmFrames: 2,
      leaveAfterMs: 3000,
      motionThreshold: 20,
      minMotion: 0.01,
      keepAliveFps: 0.5,
      idleKeepAliveFps: 0.1,
      motionCrops: false,
    },
    webhook: { url: "https://hooks.example.net/vigil?token=abc", events: ["zone", "loitering"] },
  };
  assert.deepEqual(parseAnalyticsSettings(body, KNOWN), body);
});

Deno.test("parseAnalyticsSettings() runs the detector on motion crops unless told not to", () => {
  assert.equal(parseAnalyticsSettings({}, KNOWN).rules.motionCrops, true);
  assert.equal(
    parseAnalyticsSettings({ rules: { motionCrops: false } }, KNOWN).rules.motionCrops,
    false,
  );
  assert.throws(
    () => parseAnalyticsSettings({ rules: { motionCrops: "no" } }, KNOWN),
    /rules\.motionCrops must be true or false/,
  );
});

Deno.test("parseAnalyticsSettings() accepts its own output, so stored settings restore as they were", () => {
  const body = {
    fps: 2,
    zones: [{ name: "Въезд 2", polygon: SQUARE, loiterSeconds: 10 }],
    webhook: { url: "HTTPS://Example.net/hook" },
  };
  const once = parseAnalyticsSettings(body, KNOWN);
  assert.deepEqual(parseAnalyticsSettings(JSON.parse(JSON.stringify(once)), KNOWN), once);
  assert.equal(once.zones[0]?.name, "Въезд 2");
});

Deno.test("parseAnalyticsSettings() leaves default classes a model does not know out", () => {
  const settings = parseAnalyticsSettings({}, { models: ["centernet"], labels: ["person", "car"] });
  assert.deepEqual(settings.classes, ["person", "car"]);
});

Deno.test("parseAnalyticsSettings() analyses every label of a model that knows none of the defaults", () => {
  const settings = parseAnalyticsSettings({}, {
    models: ["centernet"],
    labels: ["forklift", "pallet"],
  });
  assert.deepEqual(settings.classes, ["forklift", "pallet"]);
});

Deno.test("parseAnalyticsSettings() checks classes against the chosen model's labels", () => {
  const known: KnownNames = {
    models: ["centernet", "ppe"],
    labels: { centernet: ["person", "car"], ppe: ["helmet", "vest"] },
  };
  assert.deepEqual(parseAnalyticsSettings({ detector: "ppe" }, known).classes, ["helmet", "vest"]);
  assert.deepEqual(
    parseAnalyticsSettings({ detector: "ppe", classes: ["vest"] }, known).classes,
    ["vest"],
  );
  assert.throws(
    () => parseAnalyticsSettings({ detector: "ppe", classes: ["car"] }, known),
    /classes\.0 must be a label the detector knows/,
  );
});

Deno.test("parseAnalyticsSettings() removes repeated classes", () => {
  const settings = parseAnalyticsSettings({ classes: ["car", "person", "car"] }, KNOWN);
  assert.deepEqual(settings.classes, ["car", "person"]);
});

Deno.test("parseAnalyticsSettings() fills the rules a body leaves out with defaults", () => {
  const settings = parseAnalyticsSettings({ fps: 1, rules: { confirmFrames: 1 } }, KNOWN);
  assert.equal(settings.rules.keepAliveFps, 1);
  assert.equal(settings.rules.confirmFrames, 1);
  assert.equal(settings.rules.leaveAfterMs, 1500);
});

Deno.test("the idle keep-alive is 0.2 frames/s by default and follows a lower keepAliveFps", () => {
  assert.equal(parseAnalyticsSettings({}, KNOWN).rules.idleKeepAliveFps, 0.2);
  const slow = parseAnalyticsSettings({ rules: { keepAliveFps: 0.1 } }, KNOWN);
  assert.equal(slow.rules.idleKeepAliveFps, 0.1);
  const set = parseAnalyticsSettings({ rules: { idleKeepAliveFps: 0.5 } }, KNOWN);
  assert.equal(set.rules.idleKeepAliveFps, 0.5);
  // Settings read back and sent again with a lower keepAliveFps: clamped, not refused.
  const lowered = parseAnalyticsSettings(
    { rules: { keepAliveFps: 0.1, idleKeepAliveFps: 0.2 } },
    KNOWN,
  );
  assert.equal(lowered.rules.idleKeepAliveFps, 0.1);
});

Deno.test("parseAnalyticsSettings() normalizes the webhook URL and defaults to every event kind", () => {
  const settings = parseAnalyticsSettings(
    { webhook: { url: "HTTP://Hass.local:8123/api" } },
    KNOWN,
  );
  assert.deepEqual(settings.webhook, {
    url: "http://hass.local:8123/api",
    events: [...EVENT_KINDS],
  });
});

Deno.test("DEFAULT_ANALYTICS_SETTINGS cannot be changed by a caller", () => {
  assert.throws(() => {
    (DEFAULT_ANALYTICS_SETTINGS.rules as { fps?: number }).fps = 9;
  }, TypeError);
  assert.throws(() => DEFAULT_ANALYTICS_SETTINGS.classes.push("boat"), TypeError);
});

Deno.test("parseAnalyticsSettings() rejects bad settings with 422 naming the field", async (t) => {
  const bowtie = [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]];
  const cases: [string, unknown, string, RegExp][] = [
    ["a body that is not an object", [], "", /the body must be a JSON object/],
    ["fps 0", { fps: 0 }, "fps", /fps must be a number from 1 to 30: current value is 0/],
    ["fps 1000", { fps: 1000 }, "fps", /fps must be a number from 1 to 30: current value is 1000/],
    ["fps as a string", { fps: "5" }, "fps", /fps must be a number/],
    [
      "an unknown model",
      { detector: "yolov99" },
      "detector",
      /detector must be a known detector model/,
    ],
    ["an unknown class", { classes: ["person", "unicorn"] }, "classes.1", /"unicorn"/],
    ["no classes at all", { classes: [] }, "classes", /classes must hold 1 to/],
    ["a score above 1", { minScore: 1.5 }, "minScore", /minScore must be a number from 0 to 1/],
    ["an unknown top-level field", { colour: "red" }, "colour", /colour is not a known field/],
    [
      "an unknown zone field",
      { zones: [{ name: "a", polygon: SQUARE, color: "red" }] },
      "zones.0.color",
      /zones\.0\.color is not a known field/,
    ],
    [
      "a self-intersecting polygon (bowtie)",
      { zones: [{ name: "a", polygon: SQUARE }, { name: "b", polygon: bowtie }] },
      "zones.1.polygon",
      /zones\.1\.polygon is self-intersecting/,
    ],
    [
      "a polygon folding back on itself",
      { zones: [{ name: "a", polygon: [[0, 0], [0.5, 0], [0.2, 0], [0.3, 0.4]] }] },
      "zones.0.polygon",
      /self-intersecting/,
    ],
    [
      "a polygon with a repeated vertex",
      { zones: [{ name: "a", polygon: [[0, 0], [0.5, 0], [0.5, 0], [0.3, 0.4]] }] },
      "zones.0.polygon",
      /self-intersecting/,
    ],
    [
      "a polygon with its vertices on a line",
      { masks: [{ polygon: [[0, 0], [0.5, 0.5], [1, 1]] }] },
      "masks.0.polygon",
      /masks\.0\.polygon has no area/,
    ],
    [
      "a polygon with two points",
      { zones: [{ name: "a", polygon: [[0, 0], [1, 1]] }] },
      "zones.0.polygon",
      /must hold 3 to 64 items/,
    ],
    [
      "a polygon with 65 points",
      { zones: [{ name: "a", polygon: Array.from({ length: 65 }, (_, i) => [i / 65, 0]) }] },
      "zones.0.polygon",
      /must hold 3 to 64 items/,
    ],
    [
      "a coordinate outside 0..1",
      { zones: [{ name: "a", polygon: [[0, 0], [1.2, 0], [1, 1]] }] },
      "zones.0.polygon.1.0",
      /zones\.0\.polygon\.1\.0 must be a number from 0 to 1: current value is 1\.2/,
    ],
    [
      "a point with three coordinates",
      { zones: [{ name: "a", polygon: [[0, 0, 0], [1, 0], [1, 1]] }] },
      "zones.0.polygon.0",
      /must be a point \[x, y\] of two numbers from 0 to 1/,
    ],
    [
      "a zone name with a slash",
      { zones: [{ name: "../etc", polygon: SQUARE }] },
      "zones.0.name",
      /zones\.0\.name must be 1-64 letters/,
    ],
    [
      "a zone name of dots only",
      { zones: [{ name: "..", polygon: SQUARE }] },
      "zones.0.name",
      /with a letter or digit/,
    ],
    [
      "a zone name ending in a space",
      { zones: [{ name: "door ", polygon: SQUARE }] },
      "zones.0.name",
      /not starting or ending with a space/,
    ],
    [
      "a zone without a name",
      { zones: [{ polygon: SQUARE }] },
      "zones.0.name",
      /current value is missing/,
    ],
    [
      "two zones of one name",
      { zones: [{ name: "yard", polygon: SQUARE }, { name: "yard", polygon: SQUARE }] },
      "zones.1.name",
      /repeats the name "yard"/,
    ],
    [
      "a line named like a zone",
      {
        zones: [{ name: "yard", polygon: SQUARE }],
        lines: [{ name: "yard", a: [0, 0], b: [1, 1] }],
      },
      "lines.0.name",
      /repeats the name/,
    ],
    [
      "a zone class that is not analysed",
      { classes: ["person"], zones: [{ name: "a", polygon: SQUARE, classes: ["car"] }] },
      "zones.0.classes.0",
      /must be an analysed class \(person\)/,
    ],
    [
      "a loiter time of 0",
      { zones: [{ name: "a", polygon: SQUARE, loiterSeconds: 0 }] },
      "zones.0.loiterSeconds",
      /loiterSeconds must be a number from 1/,
    ],
    [
      "a line of zero length",
      { lines: [{ name: "l", a: [0.5, 0.5], b: [0.5, 0.5] }] },
      "lines.0.b",
      /must differ from a/,
    ],
    ["confirmFrames 0", { rules: { confirmFrames: 0 } }, "rules.confirmFrames", /integer from 1/],
    [
      "fractional confirmFrames",
      { rules: { confirmFrames: 2.5 } },
      "rules.confirmFrames",
      /integer/,
    ],
    [
      "a keep-alive rate above fps",
      { fps: 2, rules: { keepAliveFps: 3 } },
      "rules.keepAliveFps",
      /rules\.keepAliveFps must be a number from 0 to 2/,
    ],
    ["an unknown rule", { rules: { lostFrames: 3 } }, "rules.lostFrames", /not a known field/],
    [
      "a webhook of another scheme",
      { webhook: { url: "file:///etc/passwd" } },
      "webhook.url",
      /webhook\.url must use http or https, not file/,
    ],
    [
      "a webhook that is not a URL",
      { webhook: { url: "hooks.example.net/x" } },
      "webhook.url",
      /must be an absolute http or https URL/,
    ],
    [
      "an unknown webhook event kind",
      { webhook: { url: "http://a.example/", events: ["object", "explosion"] } },
      "webhook.events.1",
      /must be an event kind/,
    ],
  ];
  for (const [name, body, field, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseAnalyticsSettings(body, KNOWN), (error: unknown) => {
        assert.ok(error instanceof ValidationError, String(error));
        assert.equal(error.status, 422);
        assert.equal(error.field, field);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("parseAnalyticsSettings() never echoes webhook credentials", () => {
  assert.throws(
    () =>
      parseAnalyticsSettings(
        { webhook: { url: "https://admin:hunter2@hooks.example.net/" } },
        KNOWN,
      ),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, "webhook.url");
      assert.match(error.message, /must not hold a user name or password/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    },
  );
});
