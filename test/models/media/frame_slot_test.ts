import assert from "node:assert/strict";
import { type CapturedFrame, FrameSlot } from "../../../models/media/frame_slot.ts";

const frame = (seq: number): CapturedFrame => ({
  width: 2,
  height: 1,
  data: new Uint8Array(6).fill(seq),
  ts: 1000 + seq,
  seq,
});

Deno.test("FrameSlot keeps only the latest frame and counts the ones nobody took", async () => {
  const slot = new FrameSlot();
  for (let i = 1; i <= 5; i++) slot.put(frame(i));
  assert.equal((await slot.next()).seq, 5);
  assert.deepEqual(slot.stats(), { put: 5, taken: 1, dropped: 4 });
  assert.equal(slot.peek()?.seq, 5);
});

Deno.test("FrameSlot.next() waits for a frame newer than the one taken", async () => {
  const slot = new FrameSlot();
  slot.put(frame(1));
  assert.equal((await slot.next()).seq, 1);
  const waiting = slot.next();
  slot.put(frame(2));
  assert.equal((await waiting).seq, 2);
  assert.deepEqual(slot.stats(), { put: 2, taken: 2, dropped: 0 });
});

Deno.test("FrameSlot.next() wakes every waiting consumer with the same frame", async () => {
  const slot = new FrameSlot();
  const a = slot.next();
  const b = slot.next();
  slot.put(frame(7));
  assert.deepEqual([(await a).seq, (await b).seq], [7, 7]);
});

Deno.test("FrameSlot.next() rejects with the abort reason and forgets the waiter", async () => {
  const slot = new FrameSlot();
  const ctl = new AbortController();
  const waiting = slot.next(ctl.signal);
  ctl.abort(new Error("camera stopped"));
  await assert.rejects(waiting, /camera stopped/);
  slot.put(frame(1));
  assert.deepEqual(slot.stats(), { put: 1, taken: 0, dropped: 0 });
  await assert.rejects(slot.next(AbortSignal.abort(new Error("already"))), /already/);
});

Deno.test("FrameSlot.peek() does not take the frame", async () => {
  const slot = new FrameSlot();
  assert.equal(slot.peek(), null);
  slot.put(frame(1));
  assert.equal(slot.peek()?.seq, 1);
  assert.equal((await slot.next()).seq, 1);
  assert.equal(slot.peek()?.seq, 1, "a taken frame can still be peeked");
});
