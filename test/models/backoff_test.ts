import assert from "node:assert/strict";
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from "../../models/backoff.ts";

Deno.test("backoffDelay() grows exponentially, is capped and jittered", () => {
  assert.equal(backoffDelay(1, () => 0), BACKOFF_BASE_MS / 2);
  assert.equal(backoffDelay(1, () => 1), BACKOFF_BASE_MS);
  assert.equal(backoffDelay(2, () => 1), BACKOFF_BASE_MS * 2);
  assert.equal(backoffDelay(50, () => 1), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(50, () => 0), BACKOFF_MAX_MS / 2);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(1 + (i % 10));
    assert.ok(d > 0 && d <= BACKOFF_MAX_MS, `delay ${d}`);
  }
});
