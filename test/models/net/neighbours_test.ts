import assert from "node:assert/strict";
import {
  lookupNeighbourMac,
  normalizeMac,
  parseProcNetArp,
  resolveNeighbour,
} from "../../../models/net/neighbours.ts";
import { CLOSED_PORT } from "../../support/ports.ts";

Deno.test("normalizeMac() accepts the usual spellings and refuses junk and the zero address", () => {
  const cases: [string, string | undefined][] = [
    ["00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e"],
    ["00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e"],
    ["001a2b3c4d5e", "00:1a:2b:3c:4d:5e"],
    [" 02:fc:00:00:00:05 ", "02:fc:00:00:00:05"],
    ["00:00:00:00:00:00", undefined],
    ["00:1a:2b:3c:4d", undefined],
    ["00:1a:2b:3c:4d:5e:6f", undefined],
    ["zz:1a:2b:3c:4d:5e", undefined],
    ["0:1a:2b:3c:4d:5e", undefined],
    ["", undefined],
  ];
  for (const [raw, expected] of cases) assert.equal(normalizeMac(raw), expected, raw);
});

Deno.test("parseProcNetArp() keeps complete IPv4 entries only", () => {
  const table = parseProcNetArp(
    "IP address       HW type     Flags       HW address            Mask     Device\n" +
      "192.0.2.1        0x1         0x2         02:FC:00:00:00:05     *        eth0\n" +
      "192.0.2.7        0x1         0x0         00:00:00:00:00:00     *        eth0\n" +
      "192.0.2.8        0x1         0x6         02:fc:00:00:00:08     *        eth0\n" +
      "not-an-ip        0x1         0x2         02:fc:00:00:00:09     *        eth0\n" +
      "\n",
  );
  assert.deepEqual([...table], [
    ["192.0.2.1", "02:fc:00:00:00:05"],
    ["192.0.2.8", "02:fc:00:00:00:08"],
  ]);
});

Deno.test("lookupNeighbourMac() has nothing for loopback or a host name", async () => {
  assert.equal(await lookupNeighbourMac("127.0.0.1"), undefined);
  assert.equal(await lookupNeighbourMac("camera.local"), undefined);
  assert.equal(await lookupNeighbourMac("::1"), undefined);
});

Deno.test("resolveNeighbour() connects without sending a byte, then reads the table", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const conn = await listener.accept();
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    conn.close();
    return n;
  })();
  const looked: string[] = [];
  const mac = await resolveNeighbour("127.0.0.1", listener.addr.port, {
    lookup: (ip) => {
      looked.push(ip);
      return Promise.resolve("02:00:00:00:00:01");
    },
  });
  assert.equal(mac, "02:00:00:00:00:01");
  assert.deepEqual(looked, ["127.0.0.1"]);
  assert.equal(await received, null, "the connection closed without data");
  listener.close();
});

Deno.test("resolveNeighbour() still reads the table when the connection is refused", async () => {
  const mac = await resolveNeighbour("127.0.0.1", CLOSED_PORT, {
    lookup: () => Promise.resolve("02:00:00:00:00:02"),
  });
  assert.equal(mac, "02:00:00:00:00:02");
  assert.equal(await resolveNeighbour("camera.local", 80), undefined, "IPv4 literals only");
});
