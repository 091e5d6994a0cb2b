import assert from "node:assert/strict";
import { isUuid, uuidv7 } from "../../models/ids.ts";

Deno.test("uuidv7() makes version-7 UUIDs that sort by creation time", () => {
  const earlier = uuidv7(1_700_000_000_000);
  const later = uuidv7(1_700_000_000_001);
  assert.ok(isUuid(earlier));
  assert.equal(earlier[14], "7");
  assert.match(earlier[19]!, /[89ab]/);
  assert.ok(earlier < later);
  assert.equal(earlier.slice(0, 13), "018bcfe5-6800");
});

Deno.test("isUuid() refuses anything that is not a UUID", () => {
  for (const bad of ["", "1", "../etc/passwd", "0192f0c4-6a1e-7b3c-8d2e-1f2a3b4c5d6", 42, null]) {
    assert.equal(isUuid(bad), false, String(bad));
  }
});
