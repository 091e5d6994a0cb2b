import assert from "node:assert/strict";
import type { MediaProfile } from "../../../models/onvif/media_replies.ts";
import { ANALYSIS_MINIMUM, chooseProfiles } from "../../../models/onvif/profile_choice.ts";
import { ANALYSIS_HEIGHT, ANALYSIS_WIDTH } from "../../../actors/camera/camera_unit.ts";

function profile(token: string, width: number, height: number, fps?: number): MediaProfile {
  return { token, name: token, codec: "h264", width, height, fps, bitrateKbps: undefined };
}

Deno.test("chooseProfiles() records the largest profile and analyses the smallest", () => {
  const sub = profile("sub", 640, 360, 10);
  const main = profile("main", 2560, 1440, 20);
  const third = profile("third", 1280, 720, 25);
  assert.deepEqual(chooseProfiles([sub, main, third]), { recording: main, analysis: sub });
});

Deno.test("chooseProfiles() analyses the smallest profile that still holds the analysis frame", async (t) => {
  const main = profile("main", 1920, 1080, 25);
  const mid = profile("mid", 1280, 720, 25);
  await t.step("a sub-stream below 640x360 is passed over", () => {
    const tiny = profile("tiny", 352, 288, 25);
    assert.deepEqual(chooseProfiles([main, tiny, mid]), { recording: main, analysis: mid });
  });
  await t.step("a 4:3 sub-stream at 640x480 holds a 640x360 frame", () => {
    const vga = profile("vga", 640, 480, 15);
    assert.deepEqual(chooseProfiles([main, vga]), { recording: main, analysis: vga });
  });
  await t.step("a sub-stream slower than 5 fps is passed over; one with no rate is not", () => {
    const slow = profile("slow", 640, 360, 2);
    assert.deepEqual(chooseProfiles([main, slow, mid]), { recording: main, analysis: mid });
    const unknown = profile("unknown", 640, 360);
    assert.deepEqual(chooseProfiles([main, unknown]), { recording: main, analysis: unknown });
  });
  await t.step("when every profile is small, the largest is analysed", () => {
    const a = profile("a", 320, 240, 25);
    const b = profile("b", 480, 270, 25);
    assert.deepEqual(chooseProfiles([a, b]), { recording: b, analysis: b });
  });
  await t.step("the minimum is a parameter", () => {
    assert.deepEqual(
      chooseProfiles([main, mid], { width: 1280, height: 720, fps: 30 }),
      { recording: main, analysis: main },
    );
  });
});

Deno.test("chooseProfiles() breaks size ties by frame rate, then camera order", () => {
  const slow = profile("slow", 1920, 1080, 10);
  const fast = profile("fast", 1920, 1080, 25);
  const twin = profile("twin", 1920, 1080, 25);
  assert.deepEqual(chooseProfiles([slow, fast, twin]), { recording: fast, analysis: fast });
});

Deno.test("chooseProfiles() uses a single profile for both and returns undefined for none", () => {
  const only = profile("only", 1280, 720);
  assert.deepEqual(chooseProfiles([only]), { recording: only, analysis: only });
  assert.equal(chooseProfiles([]), undefined);
});

Deno.test("ANALYSIS_MINIMUM is the capture's analysis frame", () => {
  assert.deepEqual(
    { width: ANALYSIS_MINIMUM.width, height: ANALYSIS_MINIMUM.height },
    { width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT },
  );
});
