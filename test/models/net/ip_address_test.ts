import assert from "node:assert/strict";
import { addressText, effectiveAddress, ipAddressBytes } from "../../../models/net/ip_address.ts";

const text = (raw: string) => {
  const bytes = ipAddressBytes(raw);
  return bytes && addressText(bytes);
};

Deno.test("ipAddressBytes() reads every spelling of an address and nothing else", () => {
  const cases: [string, string | undefined][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["::", "0:0:0:0:0:0:0:0"],
    ["::1", "0:0:0:0:0:0:0:1"],
    ["0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "0:0:0:0:0:0:0:1"],
    ["::ffff:127.0.0.1", "0:0:0:0:0:ffff:7f00:1"],
    ["::FFFF:7F00:1", "0:0:0:0:0:ffff:7f00:1"],
    ["0:0:0:0:0:ffff:7f00:1", "0:0:0:0:0:ffff:7f00:1"],
    ["0:0:0:0:0:ffff:127.0.0.1", "0:0:0:0:0:ffff:7f00:1"],
    ["[::ffff:7f00:1]", "0:0:0:0:0:ffff:7f00:1"],
    ["fe80::1%eth0", "fe80:0:0:0:0:0:0:1"],
    ["2001:db8::", "2001:db8:0:0:0:0:0:0"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["64:ff9b::127.0.0.1", "64:ff9b:0:0:0:0:7f00:1"],
    // Not address literals: names, short or long forms, bad groups, misplaced dotted parts.
    ["media.lan", undefined],
    ["2130706433", undefined],
    ["0177.0.0.1", undefined],
    ["127.1", undefined],
    ["256.0.0.1", undefined],
    ["1:2:3:4:5:6:7", undefined],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1:2:3:4:5:6:7:8::", undefined],
    ["1::2::3", undefined],
    [":1::", undefined],
    ["1:::2", undefined],
    ["12345::", undefined],
    ["g::1", undefined],
    ["1.2.3.4::", undefined],
    ["::1.2.3.4:5", undefined],
    ["::ffff:0177.0.0.1", undefined],
    ["", undefined],
  ];
  for (const [raw, expected] of cases) assert.equal(text(raw), expected, raw);
});

Deno.test("effectiveAddress() gives the IPv4 address a mapped, compatible or NAT64 one stands for", () => {
  const cases: [string, string | undefined][] = [
    ["::ffff:7f00:1", "127.0.0.1"],
    ["::ffff:a9fe:a9fe", "169.254.169.254"],
    ["::ffff:0:0", "0.0.0.0"],
    ["0:0:0:0:0:ffff:7f00:1", "127.0.0.1"],
    ["::7f00:1", "127.0.0.1"],
    ["::127.0.0.1", "127.0.0.1"],
    ["64:ff9b::7f00:1", "127.0.0.1"],
    ["64:ff9b::169.254.169.254", "169.254.169.254"],
    ["10.0.0.5", "10.0.0.5"],
    // Themselves: `::` and `::1` are IPv6 addresses, not IPv4-compatible ones; other prefixes.
    ["::", "0:0:0:0:0:0:0:0"],
    ["::1", "0:0:0:0:0:0:0:1"],
    ["::0.0.0.1", "0:0:0:0:0:0:0:1"],
    ["::fffe:7f00:1", "0:0:0:0:0:fffe:7f00:1"],
    ["1::ffff:7f00:1", "1:0:0:0:0:ffff:7f00:1"],
    ["64:ff9b:1::7f00:1", "64:ff9b:1:0:0:0:7f00:1"],
    ["media.lan", undefined],
  ];
  for (const [raw, expected] of cases) {
    const bytes = effectiveAddress(raw);
    assert.equal(bytes && addressText(bytes), expected, raw);
  }
});
