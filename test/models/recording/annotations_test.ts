import assert from "node:assert/strict";
import { annotationScript, assTime } from "../../../models/recording/annotations.ts";
import { planClip } from "../../../models/recording/timeline.ts";

const plan = planClip([
  { path: "/a", startMs: 0, endMs: 10_000, durationMs: 10_000 },
  { path: "/b", startMs: 20_000, endMs: 30_000, durationMs: 10_000 },
], { from: 0, to: 30_000 })!;

function dialogues(script: string): string[] {
  return script.split("\n").filter((l) => l.startsWith("Dialogue:"));
}

Deno.test("assTime() writes H:MM:SS.cc", () => {
  assert.equal(assTime(0), "0:00:00.00");
  assert.equal(assTime(3723.456), "1:02:03.46");
  assert.equal(assTime(-1), "0:00:00.00");
});

Deno.test("annotationScript() draws each detection until its track's next one", () => {
  const script = annotationScript(
    [
      { ts: 1_200, trackId: "t1", label: "person", score: 0.87, box: [0.1, 0.1, 0.5, 0.9] },
      { ts: 1_000, trackId: "t1", label: "person", score: 0.8, box: [0.1, 0.1, 0.5, 0.9] },
    ],
    plan,
    { width: 640, height: 360 },
  );
  assert.match(script, /PlayResX: 640\nPlayResY: 360/);
  const lines = dialogues(script);
  assert.equal(lines.length, 4, "a box and a label per detection");
  assert.match(lines[0]!, /^Dialogue: 0,0:00:01\.00,0:00:01\.20,Box,/);
  assert.match(lines[0]!, /m 64 36 l 320 36 320 324 64 324/);
  assert.match(lines[1]!, /^Dialogue: 1,0:00:01\.00,0:00:01\.20,Label,.*\}person 80%$/);
  assert.match(
    lines[3]!,
    /0:00:01\.20,0:00:01\.60,Label,.*person 87%$/,
    "the last one shows briefly",
  );
});

Deno.test("annotationScript() places detections after a gap on the joined timeline", () => {
  const script = annotationScript(
    [
      { ts: 21_000, trackId: null, label: "car", score: 0.5, box: [0, 0, 1, 1] },
      { ts: 15_000, trackId: null, label: "car", score: 0.5, box: [0, 0, 1, 1] },
    ],
    plan,
    { width: 100, height: 100 },
  );
  const lines = dialogues(script);
  assert.equal(lines.length, 2, "the detection inside the gap is not drawn");
  assert.match(lines[0]!, /^Dialogue: 0,0:00:11\.00,0:00:11\.40,Box/);
});

Deno.test("annotationScript() keeps labels from being read as override codes", () => {
  const script = annotationScript(
    [
      { ts: 1_000, trackId: null, label: "a{\\b1}b", score: 1, box: [0, 0, 1, 1] },
    ],
    plan,
    { width: 100, height: 100 },
  );
  assert.match(dialogues(script)[1]!, /\}a {2}b1 b 100%$/);
});
