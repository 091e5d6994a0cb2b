/**
 * A process that allocates and frees frames the way a camera's capture does (a 640x360 rgb24
 * frame every step, small packets between them, a few frames held a while), then prints its RSS
 * in MB after a full GC. Run by test/deploy/allocator_test.ts with and without Vigil's allocator
 * setting.
 *
 * @module
 */
const FRAME = 640 * 360 * 3;
const held: Uint8Array[] = [];
for (let i = 0; i < 3000; i++) {
  const frame = new Uint8Array(FRAME);
  frame[0] = i;
  // Small allocations between frames (RTP packets, strings) pin the heap's pages.
  for (let k = 0; k < 20; k++) held.push(new Uint8Array(1400));
  if (held.length > 4000) held.splice(0, 2000);
  if (i % 7 === 0) held.push(frame);
  if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
}
held.length = 0;
(globalThis as { gc?: () => void }).gc?.();
await new Promise((resolve) => setTimeout(resolve, 200));
console.log(Math.round(Deno.memoryUsage().rss / 1048576));
