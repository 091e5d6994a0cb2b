import assert from "node:assert/strict";
import { AuthLimiter, clientKey } from "../../models/auth_limiter.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => now += ms };
}

Deno.test("AuthLimiter blocks an address after its burst and lets one attempt back per refill", () => {
  const time = clock();
  const limiter = new AuthLimiter({ burst: 3, refillMs: 1000, now: time.now });
  assert.equal(limiter.blockedFor("10.0.0.1"), 0);
  assert.deepEqual([limiter.fail("10.0.0.1"), limiter.fail("10.0.0.1")], [false, false]);
  assert.equal(limiter.blockedFor("10.0.0.1"), 0);
  assert.equal(limiter.fail("10.0.0.1"), true, "the third failure spends the burst");
  assert.equal(limiter.blockedFor("10.0.0.1"), 1000);
  assert.equal(limiter.blockedFor("10.0.0.2"), 0, "other addresses are not affected");
  time.advance(400);
  assert.equal(limiter.blockedFor("10.0.0.1"), 600);
  time.advance(600);
  assert.equal(limiter.blockedFor("10.0.0.1"), 0, "one attempt refilled");
  assert.equal(limiter.fail("10.0.0.1"), true, "and spent again at once");
  time.advance(3000);
  assert.equal(limiter.blockedFor("10.0.0.1"), 0);
  assert.equal(limiter.size, 0, "a refilled bucket is forgotten");
});

Deno.test("AuthLimiter keeps at most maxTracked addresses, forgetting the least recently failing", () => {
  const limiter = new AuthLimiter({ burst: 1, refillMs: 60_000, maxTracked: 2, now: () => 0 });
  for (const address of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) limiter.fail(address);
  assert.equal(limiter.size, 2);
  assert.equal(limiter.blockedFor("10.0.0.1"), 0, "the oldest was forgotten");
  assert.ok(limiter.blockedFor("10.0.0.3") > 0);
});

Deno.test("AuthLimiter refuses options that are not positive integers", () => {
  assert.throws(() => new AuthLimiter({ burst: 0 }), /'burst' must be a positive integer/);
  assert.throws(() => new AuthLimiter({ refillMs: 1.5 }), /'refillMs'/);
});

Deno.test("clientKey() limits IPv6 by /64 and unwraps IPv4-mapped addresses", () => {
  const cases: [string, string][] = [
    ["10.0.0.9", "10.0.0.9"],
    ["::ffff:10.0.0.9", "10.0.0.9"],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["[2001:DB8:1:2::5]", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["unknown", "unknown"],
  ];
  for (const [address, key] of cases) assert.equal(clientKey(address), key, address);
  const limiter = new AuthLimiter({ burst: 1, now: () => 0 });
  limiter.fail("2001:db8:1:2::a");
  assert.ok(limiter.blockedFor("2001:db8:1:2::b") > 0, "the same /64 shares a bucket");
  assert.equal(limiter.blockedFor("2001:db8:1:3::a"), 0);
});
