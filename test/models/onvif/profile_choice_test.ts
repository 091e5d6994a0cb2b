import assert from "node:assert/strict";
import type { MediaProfile } from "../../../models/onvif/media_replies.ts";
import { chooseProfiles } from "../../../models/onvif/profile_choice.ts";

function profile(token: string, width: number, height: number, fps?: number): MediaProfile {
  return { token, name: token, codec: "h264", width, height, fps, bitrateKbps: undefined };
}

Deno.test("chooseProfiles() records the largest profile and analyses the smallest", () => {
  const sub = profile("sub", 640, 360, 10);
  const main = profile("main", 2560, 1440, 20);
  const third = profile("third", 1280, 720, 25);
  assert.deepEqual(chooseProfiles([sub, main, third]), { recording: main, analysis: sub });
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
