import assert from "node:assert/strict";
import { Feed, type MediaUnit, Tap } from "../../../actors/live/feed.ts";

/** A sink that records what it got; refuses writes while `full`. */
function recorder() {
  const got: string[] = [];
  const switches: string[] = [];
  let full = false;
  return {
    got,
    switches,
    setFull: (v: boolean) => (full = v),
    sink: {
      write(unit: MediaUnit) {
        if (full) return false;
        got.push(new TextDecoder().decode(unit.data));
        return true;
      },
      switched(feed: Feed) {
        switches.push(feed.codec);
      },
    },
  };
}

const unit = (name: string, keyframe = false): MediaUnit => ({
  data: new TextEncoder().encode(name),
  keyframe,
});

Deno.test("a tap starts at a keyframe and switches feeds at the new feed's first keyframe", async () => {
  const a = new Feed("h264");
  const b = new Feed("h265");
  const r = recorder();
  const tap = new Tap(r.sink);
  const started = tap.follow(a);
  a.publish(unit("a1"));
  a.publish(unit("a2", true));
  await started;
  a.publish(unit("a3"));
  const switched = tap.follow(b);
  b.publish(unit("b1"));
  a.publish(unit("a4"));
  b.publish(unit("b2", true));
  await switched;
  a.publish(unit("a5"));
  b.publish(unit("b3"));
  assert.deepEqual(r.got, ["a2", "a3", "a4", "b2", "b3"], "the old feed plays until the swap");
  assert.deepEqual(r.switches, ["h264", "h265"]);
  assert.equal(a.subscribers, 0, "the old feed is let go");
  assert.equal(tap.feed, b);
  tap.close();
  assert.equal(b.subscribers, 0);
});

Deno.test("a tap that falls behind skips to the next keyframe; an abandoned switch keeps the old feed", async () => {
  const a = new Feed("h264");
  const b = new Feed("h264");
  const r = recorder();
  const tap = new Tap(r.sink);
  const started = tap.follow(a);
  a.publish(unit("k1", true));
  await started;
  r.setFull(true);
  a.publish(unit("p1"));
  r.setFull(false);
  a.publish(unit("p2"));
  a.publish(unit("k2", true));
  a.publish(unit("p3"));
  assert.deepEqual(r.got, ["k1", "k2", "p3"]);
  assert.equal(tap.dropped, 2);
  const pending = tap.follow(b);
  tap.abandon();
  await pending;
  b.publish(unit("bk", true));
  a.publish(unit("p4"));
  assert.deepEqual(r.got.at(-1), "p4");
  assert.equal(b.subscribers, 0);
  tap.close();
});
