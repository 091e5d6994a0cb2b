import assert from "node:assert/strict";
import { join } from "node:path";
import { preparePrivateDir } from "../../models/data_dir.ts";

Deno.test("preparePrivateDir() makes the data dir 0700 and closes one found open to others", async () => {
  const root = await Deno.makeTempDir({ prefix: "vigil-datadir-" });
  try {
    const fresh = join(root, "a", "data");
    assert.equal(await preparePrivateDir(fresh), false);
    assert.equal((await Deno.stat(fresh)).mode! & 0o777, 0o700);

    const open = join(root, "open");
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o755);
    assert.equal(await preparePrivateDir(open), true, "an open one is reported");
    assert.equal((await Deno.stat(open)).mode! & 0o777, 0o700);
    assert.equal(await preparePrivateDir(open), false, "and left alone once private");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
