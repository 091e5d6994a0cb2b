import assert from "node:assert/strict";
import {
  addSegment,
  emptyWindow,
  type HlsWindow,
  LINGER_SEGMENTS,
  parseSegmentLine,
  PLAYLIST_SEGMENTS,
  renderPlaylist,
} from "../../../models/media/hls_playlist.ts";

function fill(
  count: number,
  discontinuityAt: number[] = [],
): { window: HlsWindow; expired: number[] } {
  let window = emptyWindow();
  const expired: number[] = [];
  for (let seq = 0; seq < count; seq++) {
    const step = addSegment(window, {
      seq,
      file: `r1-${seq}.ts`,
      duration: 1.001,
      discontinuity: discontinuityAt.includes(seq),
    });
    window = step.window;
    expired.push(...step.expired.map((s) => s.seq));
  }
  return { window, expired };
}

Deno.test("a live playlist marks a quality switch with a discontinuity", () => {
  const { window } = fill(4, [2]);
  assert.equal(
    renderPlaylist(window),
    [
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      "#EXT-X-TARGETDURATION:1",
      "#EXT-X-MEDIA-SEQUENCE:0",
      "#EXT-X-DISCONTINUITY-SEQUENCE:0",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      "#EXTINF:1.001,",
      "r1-0.ts",
      "#EXTINF:1.001,",
      "r1-1.ts",
      "#EXT-X-DISCONTINUITY",
      "#EXTINF:1.001,",
      "r1-2.ts",
      "#EXTINF:1.001,",
      "r1-3.ts",
      "",
    ].join("\n"),
  );
});

Deno.test("the window slides, counts discontinuities that left it, and bounds the files kept", () => {
  const total = 20;
  const { window, expired } = fill(total, [2, 15]);
  assert.equal(window.segments.length, PLAYLIST_SEGMENTS);
  assert.equal(window.segments[0]!.seq, total - PLAYLIST_SEGMENTS);
  assert.equal(
    window.discontinuitySequence,
    1,
    "the switch at 2 left the list; the one at 15 is in it",
  );
  assert.match(
    renderPlaylist(window),
    /#EXT-X-MEDIA-SEQUENCE:14\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n/,
  );
  assert.deepEqual(window.lingering.map((s) => s.seq), [12, 13]);
  assert.equal(window.lingering.length, LINGER_SEGMENTS);
  assert.deepEqual(
    expired,
    Array.from({ length: total - PLAYLIST_SEGMENTS - LINGER_SEGMENTS }, (_, i) => i),
  );
});

Deno.test("the target duration only grows", () => {
  let { window } = addSegment(emptyWindow(), {
    seq: 0,
    file: "r1-0.ts",
    duration: 2.6,
    discontinuity: false,
  });
  ({ window } = addSegment(window, {
    seq: 1,
    file: "r1-1.ts",
    duration: 0.9,
    discontinuity: false,
  }));
  assert.equal(window.targetDuration, 3);
});

Deno.test("parseSegmentLine() reads ffmpeg's CSV list and nothing else", () => {
  assert.deepEqual(parseSegmentLine("r2-12.ts,3.960000,4.960000"), {
    file: "r2-12.ts",
    duration: 1,
  });
  assert.deepEqual(parseSegmentLine("/data/live/x/r1-7.ts,0.000000,1.962011\n")?.file, "r1-7.ts");
  assert.equal(parseSegmentLine("../../etc/passwd,0,1"), undefined);
  assert.equal(parseSegmentLine("r1-1.ts,5,4"), undefined);
  assert.equal(parseSegmentLine("seg1.ts,0,1"), undefined);
  assert.equal(parseSegmentLine(""), undefined);
});
