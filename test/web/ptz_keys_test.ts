import assert from "node:assert/strict";
import { KEY_SPEED, ptzKeyAction } from "../../web/logic/ptz_keys.ts";

Deno.test("ptzKeyAction() maps the PTZ panel's keys", async (t) => {
  const cases: [string, ReturnType<typeof ptzKeyAction>][] = [
    ["ArrowLeft", { kind: "move", pan: -KEY_SPEED, tilt: 0, zoom: 0 }],
    ["ArrowUp", { kind: "move", pan: 0, tilt: KEY_SPEED, zoom: 0 }],
    ["+", { kind: "move", pan: 0, tilt: 0, zoom: KEY_SPEED }],
    ["-", { kind: "move", pan: 0, tilt: 0, zoom: -KEY_SPEED }],
    ["Escape", { kind: "stop" }],
    [" ", { kind: "stop" }],
    ["h", { kind: "home" }],
    ["1", { kind: "preset", index: 0 }],
    ["9", { kind: "preset", index: 8 }],
    ["0", undefined],
    ["a", undefined],
  ];
  for (const [key, expected] of cases) {
    await t.step(JSON.stringify(key), () => {
      const got = ptzKeyAction(key);
      // -0 and 0 are the same speed to a camera.
      assert.deepEqual(JSON.parse(JSON.stringify(got ?? null)), expected ?? null);
    });
  }
});
