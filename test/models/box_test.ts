import assert from "node:assert/strict";
import { loadBoxId, loadUrlKey } from "../../models/box.ts";
import { isUuid } from "../../models/ids.ts";

Deno.test("the box id and URL key are made once and kept across starts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const id = await loadBoxId(dir);
    assert.ok(isUuid(id));
    assert.equal(await loadBoxId(dir), id);
    const key = await loadUrlKey(dir);
    assert.equal(key.length, 32);
    assert.deepEqual(await loadUrlKey(dir), key);
    assert.equal((await Deno.stat(`${dir}/url.key`)).mode! & 0o777, 0o600);
    const [a, b] = await Promise.all([loadBoxId(await Deno.makeTempDir()), loadBoxId(dir)]);
    assert.notEqual(a, b, "another data dir is another box");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged box id file is an error, not a new identity", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/box-id`, "not-a-uuid\n");
    await assert.rejects(() => loadBoxId(dir), /must hold a UUID/);
    await Deno.writeFile(`${dir}/url.key`, new Uint8Array(5));
    await assert.rejects(() => loadUrlKey(dir), /32 bytes/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
