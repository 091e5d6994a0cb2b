import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256File } from "../../../models/media/file_hash.ts";

Deno.test("sha256File() hashes a file larger than one chunk like a one-shot hash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = crypto.getRandomValues(new Uint8Array(60_000));
    const big = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i += bytes.length) {
      big.set(bytes.subarray(0, big.length - i), i);
    }
    await Deno.writeFile(`${dir}/a`, big);
    assert.equal(await sha256File(`${dir}/a`), createHash("sha256").update(big).digest("hex"));
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    assert.equal(
      await sha256File(`${dir}/empty`),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
