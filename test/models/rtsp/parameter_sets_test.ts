import assert from "node:assert/strict";
import { parameterSetsPacket } from "../../../models/rtsp/parameter_sets.ts";
import { spropParameterSets } from "../../../models/rtsp/sdp.ts";

Deno.test("spropParameterSets() reads the SPS and PPS of an fmtp line, or none", () => {
  const sets = spropParameterSets("packetization-mode=1; sprop-parameter-sets=Z0IAHg==,aM4=");
  assert.deepEqual(sets.map((s) => [...s]), [[0x67, 0x42, 0x00, 0x1e], [0x68, 0xce]]);
  assert.deepEqual(spropParameterSets("packetization-mode=1"), []);
  assert.deepEqual(spropParameterSets(undefined), []);
  assert.deepEqual(spropParameterSets("sprop-parameter-sets=!!"), [], "not base64");
});

Deno.test("parameterSetsPacket() is a STAP-A just before the keyframe, same time and SSRC", () => {
  const next = new Uint8Array([0x80, 0xe0, 0x00, 0x00, 0, 0, 0x0e, 0x10, 1, 2, 3, 4, 0x65, 0x88]);
  const packet = parameterSetsPacket([new Uint8Array([0x67, 0x42]), new Uint8Array([0x68])], next)!;
  assert.deepEqual([...packet], [
    ...[0x80, 0x60, 0xff, 0xff, 0, 0, 0x0e, 0x10, 1, 2, 3, 4], // no marker, seq before (wrapped)
    0x78, // STAP-A, NRI of its units
    ...[0, 2, 0x67, 0x42, 0, 1, 0x68],
  ]);
  assert.equal(parameterSetsPacket([], next), null);
  assert.equal(parameterSetsPacket([new Uint8Array(2000)], next), null, "too large for one packet");
});
