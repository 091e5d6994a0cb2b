import assert from "node:assert/strict";
import { type BoxHeader, planRepair, readBoxHeaders } from "../../../models/media/mp4_boxes.ts";

/** ftyp 28 + moov 800, then `fragments` moof(200)+mdat(1000) pairs. */
function layout(fragments: number, tail: BoxHeader[] = []): BoxHeader[] {
  const boxes: BoxHeader[] = [
    { type: "ftyp", offset: 0, size: 28 },
    { type: "moov", offset: 28, size: 800 },
  ];
  let offset = 828;
  for (let i = 0; i < fragments; i++) {
    boxes.push({ type: "moof", offset, size: 200 }, {
      type: "mdat",
      offset: offset + 200,
      size: 1000,
    });
    offset += 1200;
  }
  return [...boxes, ...tail.map((b) => ({ ...b, offset: b.offset + offset }))];
}

Deno.test("planRepair() keeps a finished segment and truncates a torn one", async (t) => {
  await t.step("a finished file (with its mfra) is kept", () => {
    const boxes = layout(3, [{ type: "mfra", offset: 0, size: 50 }]);
    assert.deepEqual(planRepair(boxes, 828 + 3 * 1200 + 50), { action: "keep" });
  });
  await t.step("a file whose last mdat is cut short loses that fragment only", () => {
    const boxes = layout(3);
    assert.deepEqual(planRepair(boxes, 828 + 3 * 1200 - 10), {
      action: "truncate",
      bytes: 828 + 2 * 1200,
    });
  });
  await t.step("a moof without its mdat is cut", () => {
    const boxes = layout(2, [{ type: "moof", offset: 0, size: 200 }]);
    assert.deepEqual(planRepair(boxes, 828 + 2 * 1200 + 100), {
      action: "truncate",
      bytes: 828 + 2 * 1200,
    });
  });
  await t.step("a box running to the end of the file (size 0) is torn", () => {
    const boxes = layout(1, [{ type: "moof", offset: 0, size: 200 }, {
      type: "mdat",
      offset: 200,
      size: Infinity,
    }]);
    assert.deepEqual(planRepair(boxes, 5000), { action: "truncate", bytes: 828 + 1200 });
  });
  await t.step("no complete fragment, no moov, no ftyp: dropped", () => {
    assert.equal(planRepair(layout(0), 828).action, "drop");
    assert.equal(planRepair(layout(1), 900).action, "drop");
    assert.equal(planRepair(layout(1).slice(0, 1), 28).action, "drop");
    assert.equal(planRepair([{ type: "mdat", offset: 0, size: 100 }], 100).action, "drop");
    assert.equal(planRepair([], 0).action, "drop");
  });
});

Deno.test("readBoxHeaders() reads sizes and types, 64-bit sizes and a torn tail", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const box = (type: string, size: number) => {
      const b = new Uint8Array(size);
      new DataView(b.buffer).setUint32(0, size);
      b.set(new TextEncoder().encode(type), 4);
      return b;
    };
    const large = new Uint8Array(24);
    new DataView(large.buffer).setUint32(0, 1);
    large.set(new TextEncoder().encode("mdat"), 4);
    new DataView(large.buffer).setBigUint64(8, 24n);
    const torn = box("moof", 300).subarray(0, 40);
    const bytes = new Uint8Array([...box("ftyp", 28), ...box("moov", 100), ...large, ...torn]);
    await Deno.writeFile(`${dir}/s.mp4`, bytes);
    const { boxes, size } = await readBoxHeaders(`${dir}/s.mp4`);
    assert.equal(size, bytes.length);
    assert.deepEqual(boxes, [
      { type: "ftyp", offset: 0, size: 28 },
      { type: "moov", offset: 28, size: 100 },
      { type: "mdat", offset: 128, size: 24 },
      { type: "moof", offset: 152, size: 300 },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
