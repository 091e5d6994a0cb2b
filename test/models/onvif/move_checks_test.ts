import assert from "node:assert/strict";
import {
  identityMismatches,
  type MoveFacts,
  moveObjections,
  urlAddress,
} from "../../../models/onvif/move_checks.ts";

const MAC = "00:11:22:33:44:55";
const OLD = "http://10.0.0.5/onvif/device_service";
const NEW = "http://10.0.0.9:8080/onvif/device_service";

function facts(change: Partial<MoveFacts> = {}): MoveFacts {
  return {
    stored: { deviceUrl: OLD, macAddress: MAC },
    xaddr: NEW,
    source: "10.0.0.9",
    oldAnswers: false,
    newMac: MAC,
    ...change,
  };
}

Deno.test("moveObjections() lets a move through only when conditions 1–3 all hold", async (t) => {
  const cases: [string, Partial<MoveFacts>, string[]][] = [
    ["a real move: old address silent, XAddr from its sender, same MAC", {}, []],
    ["the camera still answers at its old address", { oldAnswers: true }, [
      "the camera still answers at its recorded address 10.0.0.5",
    ]],
    ["the XAddr names another machine than the sender", { source: "10.0.0.66" }, [
      "the announced address 10.0.0.9 is not the address the reply came from (10.0.0.66)",
    ]],
    ["another MAC answers at the new address", { newMac: "66:55:44:33:22:11" }, [
      `the MAC address at 10.0.0.9 is 66:55:44:33:22:11, not the camera's ${MAC}`,
    ]],
    ["the new address did not resolve", { newMac: undefined }, [
      `the MAC address at 10.0.0.9 is unknown, not the camera's ${MAC}`,
    ]],
    ["no MAC was confirmed at onboarding", {
      stored: { deviceUrl: OLD, macAddress: undefined },
      newMac: undefined,
    }, ["no MAC address was confirmed for this camera at onboarding"]],
    ["everything wrong at once: every reason", {
      oldAnswers: true,
      source: "10.0.0.66",
      newMac: undefined,
    }, [
      "the camera still answers at its recorded address 10.0.0.5",
      "the announced address 10.0.0.9 is not the address the reply came from (10.0.0.66)",
      `the MAC address at 10.0.0.9 is unknown, not the camera's ${MAC}`,
    ]],
  ];
  for (const [name, change, expected] of cases) {
    await t.step(name, () => assert.deepEqual(moveObjections(facts(change)), expected));
  }
});

Deno.test("urlAddress() gives IPv6 hosts without brackets, to compare with a datagram source", () => {
  assert.equal(urlAddress("http://[fe80::1]:80/onvif/device_service"), "fe80::1");
  assert.equal(urlAddress("http://10.0.0.9/onvif/device_service"), "10.0.0.9");
  const move = facts({ xaddr: "http://[fd00::9]/onvif/device_service", source: "fd00::9" });
  assert.deepEqual(moveObjections(move), []);
});

Deno.test("identityMismatches() compares endpoint, serial number and hardware id (condition 4)", async (t) => {
  const stored = {
    endpointAddress: "urn:uuid:00000000-0000-4000-8000-000000000001",
    serialNumber: "S1",
    hardwareId: "H1",
  };
  const info = (change: Partial<{ endpointAddress: string; serial: string; hw: string }>) => ({
    endpointAddress: change.endpointAddress ?? stored.endpointAddress,
    deviceInfo: {
      manufacturer: "Acme",
      model: "Cam",
      firmwareVersion: "1",
      serialNumber: change.serial ?? "S1",
      hardwareId: change.hw ?? "H1",
    },
  });
  await t.step("the same device", () => assert.deepEqual(identityMismatches(stored, info({})), []));
  await t.step(
    "another serial number",
    () =>
      assert.deepEqual(identityMismatches(stored, info({ serial: "S2" })), [
        `serial number "S2" is not the camera's "S1"`,
      ]),
  );
  await t.step(
    "another hardware id",
    () =>
      assert.deepEqual(identityMismatches(stored, info({ hw: "H2" })), [
        `hardware id "H2" is not the camera's "H1"`,
      ]),
  );
  await t.step("another endpoint address", () =>
    assert.deepEqual(
      identityMismatches(stored, info({ endpointAddress: "urn:uuid:x" })),
      [`the device reports endpoint urn:uuid:x, not the camera's ${stored.endpointAddress}`],
    ));
});
