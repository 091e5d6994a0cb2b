import assert from "node:assert/strict";
import { loadBoxId, lockDataDir } from "../../models/box.ts";
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

/** Runs `body` with a fresh data dir, removed afterwards. */
async function withDataDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("data dir lock: a holder whose vigil.pid is still empty (mid-write) is not taken over", () =>
  withDataDir(async (dir) => {
    const release = await lockDataDir(dir);
    try {
      // What a second start reads between the holder's create and its write.
      await Deno.writeTextFile(`${dir}/vigil.pid`, "");
      await assert.rejects(() => lockDataDir(dir), /another Vigil/);
    } finally {
      await release();
    }
  }));

Deno.test("data dir lock: a pid file left by a crashed Vigil is taken over", () =>
  withDataDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/vigil.pid`, "999999\n");
    const release = await lockDataDir(dir);
    assert.equal((await Deno.readTextFile(`${dir}/vigil.pid`)).trim(), String(Deno.pid));
    await release();
    // Given up at shutdown: the next start claims it.
    await (await lockDataDir(dir))();
  }));

Deno.test("data dir lock: a release called again does not give up the next holder's claim", () =>
  withDataDir(async (dir) => {
    const first = await lockDataDir(dir);
    await first();
    const second = await lockDataDir(dir);
    try {
      await first();
      await assert.rejects(() => lockDataDir(dir), /another Vigil/);
    } finally {
      await second();
    }
  }));

Deno.test("data dir lock: four Vigils starting over a stale pid file, one claims it", () =>
  withDataDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/vigil.pid`, "999999\n");
    const box = new URL("../../models/box.ts", import.meta.url).href;
    const start = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { lockDataDir } from ${JSON.stringify(box)};
          try { await lockDataDir(${JSON.stringify(dir)}); console.log("claimed");
            await new Promise((r) => setTimeout(r, 1500)); }
          catch { console.log("refused"); }`,
        ],
        stdout: "piped",
        stderr: "null",
      }).output().then((o) => new TextDecoder().decode(o.stdout).trim());
    const results = await Promise.all([start(), start(), start(), start()]);
    assert.equal(results.filter((r) => r === "claimed").length, 1, `results: ${results}`);
  }));
