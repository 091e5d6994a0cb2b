import assert from "node:assert/strict";
import { loadBoxId } from "../../models/box.ts";
import { isUuid } from "../../models/ids.ts";

Deno.test("the box id is made once and kept across starts; another data dir is another box", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    const id = await loadBoxId(dir);
    assert.ok(isUuid(id));
    assert.equal(await loadBoxId(dir), id);
    const [a, b] = await Promise.all([loadBoxId(other), loadBoxId(other)]);
    assert.equal(a, b, "two starts racing agree on one id");
    assert.notEqual(a, id);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("a damaged box id file is an error, not a new identity", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/box-id`, "not-a-uuid\n");
    await assert.rejects(() => loadBoxId(dir), /must hold a UUID/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
