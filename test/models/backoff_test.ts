import assert from "node:assert/strict";
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
  PROBE_INTERVAL_MS,
  PROBE_SLOW_AFTER_MS,
  PROBE_SLOW_INTERVAL_MS,
  probeDelay,
} from "../../models/backoff.ts";

Deno.test("backoffDelay() grows exponentially, is capped and jittered", () => {
  const camera = { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS };
  assert.equal(backoffDelay(1, { ...camera, random: () => 0 }), BACKOFF_BASE_MS / 2);
  assert.equal(backoffDelay(1, { ...camera, random: () => 1 }), BACKOFF_BASE_MS);
  assert.equal(backoffDelay(2, { ...camera, random: () => 1 }), BACKOFF_BASE_MS * 2);
  assert.equal(backoffDelay(50, { ...camera, random: () => 1 }), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(50, { ...camera, random: () => 0 }), BACKOFF_MAX_MS / 2);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(1 + (i % 10), camera);
    assert.ok(d > 0 && d <= BACKOFF_MAX_MS, `delay ${d}`);
  }
});

Deno.test("backoffDelay() without jitter is the plain capped doubling", () => {
  const writer = { baseMs: 250, maxMs: 5000, jitter: false };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 0].map((n) => backoffDelay(n, writer)), [
    250,
    500,
    1000,
    2000,
    4000,
    5000,
    250,
  ]);
});

Deno.test("backoffDelay() refuses a delay that is not positive", () => {
  assert.throws(() => backoffDelay(1, { baseMs: 0, maxMs: 10 }), /'baseMs' and 'maxMs'/);
});

Deno.test("probeDelay() probes a dead source every second, then every ten seconds", () => {
  assert.deepEqual(
    [0, 5_000, PROBE_SLOW_AFTER_MS - 1, PROBE_SLOW_AFTER_MS, 3_600_000].map(probeDelay),
    [
      PROBE_INTERVAL_MS,
      PROBE_INTERVAL_MS,
      PROBE_INTERVAL_MS,
      PROBE_SLOW_INTERVAL_MS,
      PROBE_SLOW_INTERVAL_MS,
    ],
  );
  assert.equal(PROBE_INTERVAL_MS, 1000);
  assert.equal(PROBE_SLOW_INTERVAL_MS, 10_000);
});
