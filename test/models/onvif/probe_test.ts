import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import { probeOnvifDevices, resolveInterfaces } from "../../../models/onvif/probe.ts";

// Only the pure parts run on the host: sending a probe is multicast, which is tested inside a
// private network namespace (test/actors/onvif/discovery_test.ts).

function iface(
  name: string,
  address: string,
  family: "IPv4" | "IPv6" = "IPv4",
): Deno.NetworkInterfaceInfo {
  return { name, address, family, netmask: "", scopeid: null, cidr: "", mac: "" };
}

const HOST = [
  iface("lo", "127.0.0.1"),
  iface("lo", "::1", "IPv6"),
  iface("eth0", "192.168.1.5"),
  iface("eth0", "fe80::5", "IPv6"),
  iface("wlan0", "10.0.0.7"),
];

Deno.test("resolveInterfaces() probes every IPv4 interface but loopback by default", () => {
  assert.deepEqual(resolveInterfaces(undefined, HOST), ["192.168.1.5", "10.0.0.7"]);
  assert.deepEqual(resolveInterfaces([], HOST), ["192.168.1.5", "10.0.0.7"]);
});

Deno.test("resolveInterfaces() falls back to the kernel's route when only loopback exists", () => {
  assert.deepEqual(
    resolveInterfaces(undefined, [iface("lo", "127.0.0.1"), iface("lo", "10.99.0.2")]),
    [
      undefined,
    ],
  );
});

Deno.test("resolveInterfaces() accepts interface names and local addresses", () => {
  assert.deepEqual(resolveInterfaces(["eth0"], HOST), ["192.168.1.5"]);
  assert.deepEqual(resolveInterfaces(["10.0.0.7", "wlan0"], HOST), ["10.0.0.7"]);
});

Deno.test("resolveInterfaces() refuses an interface this host does not have", () => {
  assert.throws(() => resolveInterfaces(["eth9"], HOST), (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.match(error.message, /interface "eth9" is not an IPv4 interface of this host/);
    return true;
  });
});

Deno.test("probeOnvifDevices() refuses a window out of range before sending anything", async () => {
  await assert.rejects(
    () => probeOnvifDevices({ windowMs: 10 }),
    /windowMs must be from 100 to 60000/,
  );
  await assert.rejects(() => probeOnvifDevices({ interfaces: ["no-such-if0"] }), ValidationError);
});
