import assert from "node:assert/strict";
import { settlesWithin, withTimeout } from "../../models/timeout.ts";

Deno.test("withTimeout() gives the work's result when it is in time", async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1000, () => new Error("late")), 7);
});

Deno.test("withTimeout() passes the work's own error through", async () => {
  await assert.rejects(
    withTimeout(Promise.reject(new Error("broken")), 1000, () => new Error("late")),
    /broken/,
  );
});

Deno.test("withTimeout() rejects with onTimeout's error once the limit passes", async () => {
  let cancelled = false;
  const never = new Promise<number>(() => {});
  await assert.rejects(
    withTimeout(never, 10, () => {
      cancelled = true;
      return new Error("no answer within 10 ms");
    }),
    /no answer within 10 ms/,
  );
  assert.equal(cancelled, true);
});

Deno.test("settlesWithin() is true for work that settles in time, either way", async () => {
  assert.equal(await settlesWithin(Promise.resolve(7), 1000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error("broken")), 1000), true);
});

Deno.test("settlesWithin() is false once the limit passes, and never rejects", async () => {
  assert.equal(await settlesWithin(new Promise(() => {}), 10), false);
  let fail: (error: Error) => void = () => {};
  const late = new Promise((_, reject) => fail = reject);
  assert.equal(await settlesWithin(late, 0), false);
  fail(new Error("after the limit"));
});
