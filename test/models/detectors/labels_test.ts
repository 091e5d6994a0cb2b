import assert from "node:assert/strict";
import { DetectorError } from "../../../models/detectors/detector_error.ts";
import {
  classFilter,
  classNarrower,
  parseLabels,
  readLabels,
} from "../../../models/detectors/labels.ts";

Deno.test("parseLabels() reads one label per line and keeps class ids stable", () => {
  assert.deepEqual(parseLabels("person\r\nbicycle\n\n"), ["person", "bicycle"]);
  assert.deepEqual(parseLabels("a\n\nc\n"), ["a", "class1", "c"]);
  assert.deepEqual(parseLabels("  \n\n"), []);
});

Deno.test("readLabels() fails with a clear error for a missing or empty file", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("missing", async () => {
      await assert.rejects(
        readLabels(`${dir}/nope.txt`),
        (e) =>
          e instanceof DetectorError && e.code === "labels_missing" &&
          e.message.includes("nope.txt"),
      );
    });
    await t.step("empty", async () => {
      await Deno.writeTextFile(`${dir}/empty.txt`, "\n\n");
      await assert.rejects(
        readLabels(`${dir}/empty.txt`),
        (e) =>
          e instanceof DetectorError && e.code === "labels_empty" &&
          /empty\.txt is empty/.test(e.message),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classFilter() maps names to ids and rejects unknown names", () => {
  assert.equal(classFilter(["person", "car"], undefined), undefined);
  assert.deepEqual(classFilter(["person", "bicycle", "car"], ["car", "person"]), new Set([2, 0]));
  assert.throws(
    () => classFilter(["person"], ["unicorn"]),
    (e) =>
      e instanceof DetectorError && e.code === "detector_config" && e.message.includes("unicorn"),
  );
});

Deno.test("classNarrower() narrows the detector's classes to a request's labels", () => {
  const labels = ["person", "bicycle", "car"];
  const all = classNarrower(labels, undefined);
  assert.equal(all(undefined), undefined);
  assert.deepEqual(all(["car"]), new Set([2]));
  assert.deepEqual(all([]), new Set());
  const some = classNarrower(labels, new Set([0, 2]));
  assert.deepEqual(some(undefined), new Set([0, 2]));
  assert.deepEqual(some(["car", "bicycle"]), new Set([2]));
  assert.deepEqual(some(["car", "bicycle"]), new Set([2]), "same answer from the remembered set");
  assert.deepEqual(some(["person"]), new Set([0]));
  assert.throws(() => some(["unicorn"]), /unicorn/);
});
