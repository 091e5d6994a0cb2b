/**
 * The relay's connection accounting on its own: the per-address cap and the grant re-checks.
 */
import assert from "node:assert/strict";
import { RtspConnections } from "../../../actors/stream/rtsp_connections.ts";
import type { ConnState } from "../../../actors/stream/rtsp_server_types.ts";
import type { RtspConn } from "../../../actors/stream/rtsp_conn.ts";
import { createLogger } from "../../../models/log.ts";

const LIMITS = {
  maxConnections: 100,
  maxConnectionsPerAddress: 2,
  maxReadersPerPath: 10,
  maxReaders: 10,
};

/** A connection state whose connection only records that it was closed. */
function fakeState(host: string, check?: () => Promise<boolean>): ConnState & { closed: boolean } {
  const state = {
    closed: false,
    host,
    nonce: "n",
    user: null,
    authorized: new Set<string>(),
    checks: new Map<string, () => Promise<boolean>>(),
    internal: false,
    failures: 0,
    leases: new Map(),
    aliases: new Map(),
    session: null,
  } as unknown as ConnState & { closed: boolean };
  state.conn = { remote: `${host}:1`, close: () => (state.closed = true) } as unknown as RtspConn;
  if (check) {
    state.authorized.add("read /cam/x");
    state.checks.set("read /cam/x", check);
  }
  return state;
}

Deno.test("the relay's per-address cap groups IPv6 clients by /64, like the failed-auth limiter", () => {
  const connections = new RtspConnections(LIMITS, createLogger("test"));
  assert.ok(connections.admit(fakeState("2001:db8:1:2::10")));
  assert.ok(connections.admit(fakeState("2001:db8:1:2:aaaa::11")));
  const third = fakeState("2001:db8:1:2:ffff:ffff:ffff:ffff");
  assert.equal(connections.admit(third), false, "a third address of the same /64 is refused");
  assert.ok(third.closed);
  assert.ok(connections.admit(fakeState("2001:db8:1:3::10")), "another /64 has its own count");
  assert.ok(connections.admit(fakeState("192.0.2.1")));
  assert.ok(connections.admit(fakeState("192.0.2.1")));
  assert.equal(connections.admit(fakeState("192.0.2.1")), false, "IPv4 still per address");
});

Deno.test("a hung grant re-check gives up after its time limit, closes its connection, and later re-checks still run", async () => {
  const connections = new RtspConnections(LIMITS, createLogger("test"), 200);
  const hung = fakeState("192.0.2.10", () => new Promise<boolean>(() => {}));
  let asked = 0;
  let valid = true;
  const other = fakeState("192.0.2.11", () => {
    asked++;
    return Promise.resolve(valid);
  });
  connections.admit(hung);
  connections.admit(other);
  const first = connections.recheckGrants();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    first.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
  ]);
  clearTimeout(timer);
  assert.ok(settled, "the re-check finished despite the hung query");
  assert.ok(hung.closed, "a grant that cannot be confirmed closes its connection");
  assert.equal(asked, 1);
  valid = false;
  await connections.recheckGrants();
  assert.equal(asked, 2, "the next re-check ran");
  assert.ok(other.closed, "and closed the connection whose grant lapsed");
});
